import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../../src/auth/hash-api-key.ts';
import { unknownModelLabel } from '../../../src/metrics/create-metrics.ts';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient, type ServerEvent } from '../../helpers/ws-test-client.ts';
import { type MetricFamily, parsePrometheusText, sampleValue } from '../../unit/metrics/prometheus-text.ts';

const messages = [{ role: 'user', content: 'Hi' }];

async function scrape(sluice: TestSluice): Promise<Map<string, MetricFamily>> {
  const response = await fetch(`${sluice.url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4(;|$)/);
  return parsePrometheusText(await response.text());
}

/** What changed between two scrapes, sample by sample. */
function delta(before: Map<string, MetricFamily>, afterwards: Map<string, MetricFamily>) {
  return (name: string, labels: Record<string, string> = {}) =>
    sampleValue(afterwards, name, labels) - sampleValue(before, name, labels);
}

function usageOf(events: ServerEvent[]): { input_tokens: number; output_tokens: number } {
  const done = events.at(-1);
  assert.equal(done?.type, 'done');
  return done.usage as { input_tokens: number; output_tokens: number };
}

describe('GET /metrics', () => {
  let broken: FakeOpenAiServer;
  let stalling: FakeOpenAiServer;
  before(async () => {
    broken = await startFakeOpenAiServer({
      script: {
        httpError: {
          status: 500,
          error: { message: 'The server had an error', type: 'server_error', param: null, code: null },
        },
      },
    });
    stalling = await startFakeOpenAiServer({
      script: { deltas: [{ content: 'hold' }], ending: { type: 'stall' } },
    });
  });
  after(async () => {
    await broken.close();
    await stalling.close();
  });

  it('answers the Prometheus text format without credentials, where other routes need a key', async () => {
    const sluice = await startTestSluice({
      auth: { api_keys: [{ hash: hashApiKey('sk-sluice-metrics-test'), user: 'alice' }] },
    });
    try {
      const families = await scrape(sluice);
      assert.equal(families.get('sluice_requests_total')?.type, 'counter');
      assert.equal(families.get('sluice_request_duration_seconds')?.type, 'histogram');
      assert.equal(families.get('process_resident_memory_bytes')?.type, 'gauge');
      assert.equal((await fetch(`${sluice.url}/v1/usage`)).status, 401);
    } finally {
      await sluice.close();
    }
  });

  it('moves every counter by exactly the traffic: outcomes, tokens, refusals, upstream errors, latencies', async () => {
    const sluice = await startTestSluice({
      providers: { broken: { type: 'openai-compatible', base_url: broken.baseUrl } },
      models: { broken: { target: { provider: 'broken', model: 'broken-1' }, retry: { attempts: 1 } } },
      plans: { default: { requests_per_minute: 4 } },
    });
    try {
      const before = await scrape(sluice);
      const client = await connectTestClient(sluice.wsUrl);
      const second = await connectTestClient(sluice.wsUrl);
      let inputTokens = 0;
      let outputTokens = 0;
      for (const id of ['d1', 'd2', 'd3']) {
        client.send({ type: 'chat', id, model: 'demo', messages });
        const usage = usageOf(await client.collect(id));
        inputTokens += usage.input_tokens;
        outputTokens += usage.output_tokens;
      }
      assert.ok(inputTokens > 0 && outputTokens > 0);
      second.send({ type: 'chat', id: 'b1', model: 'broken', messages });
      assert.equal((await second.collect('b1')).at(-1)?.code, 'upstream_error');
      second.send({ type: 'chat', id: 'n1', model: 'no-such-model', messages });
      assert.equal((await second.collect('n1')).at(-1)?.code, 'not_found');
      client.send({ type: 'chat', id: 'd4', model: 'demo', messages });
      assert.equal((await client.collect('d4')).at(-1)?.code, 'rate_limited');

      const during = await scrape(sluice);
      const moved = delta(before, during);
      const demo = { model: 'demo', provider: 'demo' };
      const brokenLabels = { model: 'broken', provider: 'broken' };
      assert.equal(sampleValue(during, 'sluice_open_connections'), 2);
      assert.equal(sampleValue(during, 'sluice_requests_in_flight'), 0);
      assert.equal(moved('sluice_requests_total', { ...demo, outcome: 'stop' }), 3);
      assert.equal(moved('sluice_requests_total', { ...demo, outcome: 'rate_limited' }), 1);
      assert.equal(moved('sluice_requests_total', { ...brokenLabels, outcome: 'upstream_error' }), 1);
      assert.equal(
        moved('sluice_requests_total', { model: unknownModelLabel, provider: '', outcome: 'not_found' }),
        1,
      );
      assert.equal(
        during.get('sluice_requests_total')!.samples.reduce((sum, sample) => sum + sample.value, 0),
        6,
      );
      assert.equal(moved('sluice_tokens_total', { ...demo, type: 'input' }), inputTokens);
      assert.equal(moved('sluice_tokens_total', { ...demo, type: 'output' }), outputTokens);
      assert.equal(moved('sluice_tokens_total', { ...brokenLabels, type: 'output' }), 0);
      assert.equal(moved('sluice_quota_refusals_total', { plan: 'default', code: 'rate_limited' }), 1);
      assert.equal(moved('sluice_quota_refusals_total', { plan: 'default', code: 'quota_exceeded' }), 0);
      assert.equal(moved('sluice_upstream_errors_total', { provider: 'broken', code: 'upstream_error' }), 1);
      assert.equal(during.get('sluice_upstream_errors_total')!.samples.length, 1);
      assert.equal(moved('sluice_time_to_first_token_seconds_count', demo), 3);
      assert.equal(moved('sluice_time_to_first_token_seconds_count', brokenLabels), 0);
      assert.equal(moved('sluice_request_duration_seconds_count', demo), 4);
      assert.equal(moved('sluice_request_duration_seconds_count', brokenLabels), 1);
      assert.equal(
        moved('sluice_request_duration_seconds_bucket', { ...demo, le: '+Inf' }),
        moved('sluice_request_duration_seconds_count', demo),
      );

      await client.close();
      await second.close();
      assert.equal(sampleValue(await scrape(sluice), 'sluice_open_connections'), 0);
    } finally {
      await sluice.close();
    }
  });

  it('counts a running request as in flight until it ends', async () => {
    const sluice = await startTestSluice({
      providers: { slow: { type: 'openai-compatible', base_url: stalling.baseUrl } },
      models: { slow: { target: { provider: 'slow', model: 'slow-1' } } },
    });
    try {
      const client = await connectTestClient(sluice.wsUrl);
      client.send({ type: 'chat', id: 's', model: 'slow', messages });
      await client.next((event) => event.id === 's' && event.type === 'delta');
      assert.equal(sampleValue(await scrape(sluice), 'sluice_requests_in_flight'), 1);
      client.send({ type: 'cancel', id: 's' });
      assert.equal((await client.collect('s')).at(-1)?.finish_reason, 'cancelled');
      const families = await scrape(sluice);
      assert.equal(sampleValue(families, 'sluice_requests_in_flight'), 0);
      assert.equal(
        sampleValue(families, 'sluice_requests_total', {
          model: 'slow',
          provider: 'slow',
          outcome: 'cancelled',
        }),
        1,
      );
      assert.equal(sampleValue(families, 'sluice_time_to_first_token_seconds_count', { model: 'slow' }), 1);
      await client.close();
    } finally {
      await sluice.close();
    }
  });
});
