import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics, unknownModelLabel } from '../../../src/metrics/create-metrics.ts';
import type { RequestSummary } from '../../../src/spec/request-observer.ts';
import { parsePrometheusText, sampleValue } from './prometheus-text.ts';

function summary(overrides: Partial<RequestSummary>): RequestSummary {
  return {
    user: 'alice',
    plan: 'pro',
    model: 'fast',
    provider: 'openai',
    upstreamModel: 'gpt-4o-mini',
    outcome: 'stop',
    failed: false,
    inputTokens: 10,
    outputTokens: 5,
    ttftMs: 120,
    durationMs: 800,
    cached: false,
    ...overrides,
  };
}

function newMetrics(openConnections = () => 0) {
  return createMetrics({ openConnections, isKnownModel: (model) => model === 'fast' });
}

async function scrape(metrics: ReturnType<typeof newMetrics>) {
  return parsePrometheusText(await metrics.render());
}

describe('createMetrics', () => {
  it('renders Prometheus text 0.0.4 with the default process metrics', async () => {
    const metrics = newMetrics();
    assert.match(metrics.contentType, /^text\/plain; version=0\.0\.4/);
    const families = await scrape(metrics);
    assert.equal(families.get('process_cpu_user_seconds_total')?.type, 'counter');
    assert.equal(families.get('nodejs_eventloop_lag_seconds')?.type, 'gauge');
  });

  it('counts requests by model, provider and outcome, and their tokens by type', async () => {
    const metrics = newMetrics();
    metrics.observer.requestStarted('fast');
    metrics.observer.requestEnded(summary({}));
    metrics.observer.requestStarted('fast');
    metrics.observer.requestEnded(summary({ inputTokens: 7, outputTokens: 3 }));
    metrics.observer.requestStarted('fast');
    metrics.observer.requestEnded(summary({ outcome: 'cancelled', outputTokens: undefined }));
    const families = await scrape(metrics);
    const labels = { model: 'fast', provider: 'openai' };
    assert.equal(sampleValue(families, 'sluice_requests_total', { ...labels, outcome: 'stop' }), 2);
    assert.equal(sampleValue(families, 'sluice_requests_total', { ...labels, outcome: 'cancelled' }), 1);
    assert.equal(sampleValue(families, 'sluice_tokens_total', { ...labels, type: 'input' }), 27);
    assert.equal(sampleValue(families, 'sluice_tokens_total', { ...labels, type: 'output' }), 8);
  });

  it('counts model names no route has under one label value, so clients cannot grow the series', async () => {
    const metrics = newMetrics();
    for (const model of ['made-up-1', 'made-up-2']) {
      metrics.observer.requestStarted(model);
      metrics.observer.requestEnded(
        summary({ model, provider: undefined, outcome: 'not_found', failed: true, ttftMs: undefined }),
      );
    }
    const families = await scrape(metrics);
    const requests = families.get('sluice_requests_total')!.samples;
    assert.deepEqual(
      requests.map((sample) => [sample.labels, sample.value]),
      [[{ model: unknownModelLabel, provider: '', outcome: 'not_found' }, 2]],
    );
  });

  it('tracks requests in flight', async () => {
    const metrics = newMetrics();
    metrics.observer.requestStarted('fast');
    metrics.observer.requestStarted('fast');
    assert.equal(sampleValue(await scrape(metrics), 'sluice_requests_in_flight'), 2);
    metrics.observer.requestEnded(summary({}));
    assert.equal(sampleValue(await scrape(metrics), 'sluice_requests_in_flight'), 1);
  });

  it('observes time to first token for requests with output and duration for all, in seconds', async () => {
    const metrics = newMetrics();
    metrics.observer.requestStarted('fast');
    metrics.observer.requestEnded(summary({ ttftMs: 7, durationMs: 40 }));
    metrics.observer.requestStarted('fast');
    metrics.observer.requestEnded(
      summary({ ttftMs: undefined, durationMs: 700_000, outcome: 'upstream_error' }),
    );
    const families = await scrape(metrics);
    const labels = { model: 'fast', provider: 'openai' };
    const ttft = (le: string) =>
      sampleValue(families, 'sluice_time_to_first_token_seconds_bucket', { ...labels, le });
    assert.equal(ttft('0.005'), 0);
    assert.equal(ttft('0.01'), 1);
    assert.equal(ttft('30'), 1);
    assert.equal(sampleValue(families, 'sluice_time_to_first_token_seconds_count', labels), 1);
    assert.equal(sampleValue(families, 'sluice_time_to_first_token_seconds_sum', labels), 0.007);
    const duration = (le: string) =>
      sampleValue(families, 'sluice_request_duration_seconds_bucket', { ...labels, le });
    assert.equal(duration('0.05'), 1);
    assert.equal(duration('600'), 1, 'over ten minutes lands only in +Inf');
    assert.equal(duration('+Inf'), 2);
  });

  it('counts upstream failures by provider and code, and nothing else as one', async () => {
    const metrics = newMetrics();
    const failures = ['upstream_error', 'upstream_error', 'upstream_timeout', 'unavailable', 'bad_request'];
    for (const outcome of failures) {
      metrics.observer.requestStarted('fast');
      metrics.observer.requestEnded(summary({ outcome, failed: true }));
    }
    const families = await scrape(metrics);
    assert.deepEqual(
      families
        .get('sluice_upstream_errors_total')!
        .samples.map((sample) => [sample.labels.code, sample.value]),
      [
        ['upstream_error', 2],
        ['upstream_timeout', 1],
        ['unavailable', 1],
      ],
    );
  });

  it("counts quota refusals by plan and code: requests the user's plan refused", async () => {
    const metrics = newMetrics();
    for (const [outcome, failed] of [
      ['quota_exceeded', true],
      ['rate_limited', true],
      ['rate_limited', true],
      ['quota', false],
    ] as const) {
      metrics.observer.requestStarted('fast');
      metrics.observer.requestEnded(summary({ outcome, failed }));
    }
    const families = await scrape(metrics);
    assert.equal(
      sampleValue(families, 'sluice_quota_refusals_total', { plan: 'pro', code: 'quota_exceeded' }),
      1,
    );
    assert.equal(
      sampleValue(families, 'sluice_quota_refusals_total', { plan: 'pro', code: 'rate_limited' }),
      2,
    );
    assert.equal(families.get('sluice_quota_refusals_total')!.samples.length, 2);
  });

  it('counts cache hits and misses, both shown from the start', async () => {
    const metrics = newMetrics();
    assert.equal(sampleValue(await scrape(metrics), 'sluice_cache_lookups_total', { result: 'hit' }), 0);
    metrics.recordCacheLookup(true);
    metrics.recordCacheLookup(false);
    metrics.recordCacheLookup(false);
    const families = await scrape(metrics);
    assert.equal(sampleValue(families, 'sluice_cache_lookups_total', { result: 'hit' }), 1);
    assert.equal(sampleValue(families, 'sluice_cache_lookups_total', { result: 'miss' }), 2);
  });

  it('reads open connections at each scrape', async () => {
    let open = 3;
    const metrics = newMetrics(() => open);
    assert.equal(sampleValue(await scrape(metrics), 'sluice_open_connections'), 3);
    open = 0;
    assert.equal(sampleValue(await scrape(metrics), 'sluice_open_connections'), 0);
  });

  it('keeps the metrics of two instances in one process apart', async () => {
    const first = newMetrics();
    const second = newMetrics();
    first.observer.requestStarted('fast');
    first.observer.requestEnded(summary({}));
    const labels = { model: 'fast', provider: 'openai', outcome: 'stop' };
    assert.equal(sampleValue(await scrape(first), 'sluice_requests_total', labels), 1);
    assert.equal(sampleValue(await scrape(second), 'sluice_requests_total', labels), 0);
  });
});
