import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakeLoadUpstream } from '../../../bench/fake-load-upstream.ts';
import { runStreams, type StreamPlan } from '../../../bench/load-generator.ts';
import { createStreamMeasurements } from '../../../bench/stream-measurements.ts';
import { openWsLoadConnection } from '../../../bench/ws-load-client.ts';
import { startTestSluice } from '../../helpers/start-test-sluice.ts';

const shape = { tokens: 5, minGapMs: 0, maxGapMs: 1 };

function plan(overrides: Partial<StreamPlan>): StreamPlan {
  return {
    kind: 'streams',
    door: 'direct',
    url: '',
    model: 'bench',
    streams: 3,
    connections: 0,
    shape,
    durationMs: 200,
    localAddresses: ['127.0.0.1'],
    ...overrides,
  };
}

describe('the load generator', () => {
  it('measures every token of a run straight against the fake upstream', async (t) => {
    const upstream = await startFakeLoadUpstream();
    t.after(() => upstream.close());
    const result = await runStreams(plan({ url: upstream.baseUrl }), [], createStreamMeasurements());
    assert.equal(result.errors, 0, result.errorSamples.join('; '));
    assert.ok(result.completed > 0);
    assert.equal(result.requests, result.completed);
    assert.equal(result.tokens, result.completed * shape.tokens);
    assert.equal(result.frames, result.tokens);
    assert.equal(result.ttft.count, result.completed);
    assert.equal(result.gap.count, result.completed * (shape.tokens - 1));
  });

  it("measures every token through Sluice's WebSocket door, many requests sharing one connection", async (t) => {
    const upstream = await startFakeLoadUpstream();
    t.after(() => upstream.close());
    const sluice = await startTestSluice({
      providers: { load: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { bench: { target: { provider: 'load', model: 'bench-model' } } },
    });
    t.after(() => sluice.close());
    const measurements = createStreamMeasurements();
    const connection = await openWsLoadConnection(sluice.wsUrl);
    t.after(() => connection.close());
    const result = await runStreams(
      plan({ door: 'ws', url: sluice.wsUrl, connections: 1 }),
      [connection],
      measurements,
    );
    assert.equal(result.errors, 0, result.errorSamples.join('; '));
    assert.ok(result.completed > 0);
    assert.equal(result.tokens, result.completed * shape.tokens);
    assert.equal(result.frames, result.tokens);
  });

  it("sends every request on to the upstream: no prompt repeats, so Sluice's coalescing and cache never answer", async (t) => {
    const upstream = await startFakeLoadUpstream();
    t.after(() => upstream.close());
    const sluice = await startTestSluice({
      providers: { load: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { bench: { target: { provider: 'load', model: 'bench-model' } } },
    });
    t.after(() => sluice.close());
    const connection = await openWsLoadConnection(sluice.wsUrl);
    t.after(() => connection.close());
    const result = await runStreams(
      plan({
        door: 'ws',
        url: sluice.wsUrl,
        connections: 1,
        shape: { tokens: 20, minGapMs: 1, maxGapMs: 2 },
      }),
      [connection],
      createStreamMeasurements(),
    );
    assert.equal(result.errors, 0, result.errorSamples.join('; '));
    assert.equal(upstream.repliesStarted(), result.completed);
  });

  it('counts an unknown model as an error of that request, with the reason', async (t) => {
    const sluice = await startTestSluice();
    t.after(() => sluice.close());
    const connection = await openWsLoadConnection(sluice.wsUrl);
    t.after(() => connection.close());
    const result = await runStreams(
      plan({ door: 'ws', url: sluice.wsUrl, model: 'no-such-model', streams: 1, connections: 1 }),
      [connection],
      createStreamMeasurements(),
    );
    assert.equal(result.completed, 0);
    assert.ok(result.errors > 0);
    assert.match(result.errorSamples[0] ?? '', /^not_found: /);
  });
});
