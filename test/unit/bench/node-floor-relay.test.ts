import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startFakeLoadUpstream } from '../../../bench/fake-load-upstream.ts';
import { runStreams } from '../../../bench/load-generator.ts';
import { createStreamMeasurements, type RequestTracker } from '../../../bench/stream-measurements.ts';
import { openWsLoadConnection } from '../../../bench/ws-load-client.ts';

const relayScript = fileURLToPath(new URL('../../../bench/node-floor-relay.ts', import.meta.url));

/** Starts the relay as the bench does (a process of its own) and returns its WebSocket URL. */
async function startFloorRelay(t: TestContext, upstreamBaseUrl: string): Promise<string> {
  const child = spawn(process.execPath, [relayScript, upstreamBaseUrl], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(async () => {
    child.kill();
    if (child.exitCode === null) await once(child, 'exit');
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const { port } = JSON.parse(line) as { port: number };
  return `ws://127.0.0.1:${port}/`;
}

describe('the minimal Node relay (the --floor yardstick)', () => {
  it('relays every token of many concurrent requests on one connection, as the load generator counts them', async (t) => {
    const upstream = await startFakeLoadUpstream();
    t.after(() => upstream.close());
    const url = await startFloorRelay(t, upstream.baseUrl);
    const connection = await openWsLoadConnection(url);
    t.after(() => connection.close());
    const shape = { tokens: 7, minGapMs: 0, maxGapMs: 1 };
    const result = await runStreams(
      {
        kind: 'streams',
        door: 'ws',
        url,
        model: 'bench',
        streams: 4,
        connections: 1,
        shape,
        durationMs: 200,
        localAddresses: ['127.0.0.1'],
      },
      [connection],
      createStreamMeasurements(),
    );
    assert.equal(result.errors, 0, result.errorSamples.join('; '));
    assert.ok(result.completed > 0);
    assert.equal(result.tokens, result.completed * shape.tokens);
    assert.equal(result.frames, result.tokens);
  });

  it('answers a request the upstream refuses with an error event', async (t) => {
    const upstream = await startFakeLoadUpstream();
    t.after(() => upstream.close());
    const connection = await openWsLoadConnection(await startFloorRelay(t, upstream.baseUrl));
    t.after(() => connection.close());
    const failure = Promise.withResolvers<string>();
    const tracker: RequestTracker = {
      output: () => failure.reject(new Error('a refused request streamed output')),
      finished: () => failure.reject(new Error('a refused request finished')),
      failed: failure.resolve,
      settled: failure.promise.then(() => {}),
    };
    // The fake refuses a prompt that does not give a reply shape.
    connection.chat('refused', 'bench', 'no shape here', tracker);
    assert.match(await failure.promise, /^upstream_error: upstream answered 400$/);
  });
});
