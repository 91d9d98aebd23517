import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { hashApiKey } from '../../../src/auth/hash-api-key.ts';
import { connectTestRedis } from '../../helpers/redis-test-connection.ts';
import { listeningPort, spawnSluice } from '../../helpers/sluice-process.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

const apiKey = 'sk-sluice-interrupted-usage-key';

/**
 * A config with one user on a daily token and dollar budget, the paced demo priced, and the ledger
 * (plus, with `redis`, the shared store) in `directory`.
 */
function writeConfig(directory: string, redis?: { url: string; prefix: string }): string {
  const path = join(directory, 'sluice.yaml');
  const ledger = JSON.stringify(join(directory, 'ledger.db'));
  writeFileSync(
    path,
    [
      'server: { host: 127.0.0.1, port: 0 }',
      redis
        ? `store: { backend: redis, path: ${ledger}, redis: { url: ${JSON.stringify(redis.url)}, prefix: ${JSON.stringify(redis.prefix)} } }`
        : `store: { path: ${ledger} }`,
      'auth:',
      `  api_keys: [{ hash: "${hashApiKey(apiKey)}", user: alice, plan: metered }]`,
      'plans:',
      '  metered: { tokens_per_day: 100000, usd_per_day: 1000 }',
      'pricing:',
      '  demo: { input_per_million: 1000, output_per_million: 3000 }',
      'providers:',
      '  demo: { type: demo, token_delay_ms: 20 }',
    ].join('\n'),
  );
  return path;
}

/**
 * Starts Sluice on the config and connects as alice; returns the process, client and `ready` limits.
 * The process is killed when the test ends, so a failing assertion never leaves it running.
 */
async function startAndConnect(t: TestContext, configPath: string) {
  const child = spawnSluice(['--config', configPath], {});
  t.after(() => kill(child));
  const port = await listeningPort(child);
  const client = await connectTestClient(`ws://127.0.0.1:${port}/v1/ws`, ['sluice.v1', `bearer.${apiKey}`]);
  const ready = await client.next();
  return { child, client, port, limits: ready.limits as Record<string, number> };
}

async function kill(child: ReturnType<typeof spawnSluice>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

interface UsageWireRow {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  unsettled_requests: number;
}

/**
 * Kills a Sluice in the middle of a stream, starts a new one on the same state, and checks that its
 * `GET /v1/usage` reports what the quota charges for the cut-off request: not 0.
 */
async function expectInterruptedRequestReportedAsCharged(t: TestContext, configPath: string): Promise<void> {
  const first = await startAndConnect(t, configPath);
  assert.deepEqual([first.limits.tokens_left_today, first.limits.usd_left_today], [100_000, 1000]);
  const request = { type: 'chat', id: 'long', model: 'demo', max_tokens: 500 };
  first.client.send({ ...request, messages: [{ role: 'user', content: 'a long one' }] });
  await first.client.next((event) => event.id === 'long' && event.seq === 3);
  await kill(first.child);

  const second = await startAndConnect(t, configPath);
  const chargedTokens = 100_000 - second.limits.tokens_left_today!;
  const chargedUsd = 1000 - second.limits.usd_left_today!;
  assert.ok(chargedTokens > 500, `the whole reservation stays charged, not ${chargedTokens} tokens`);
  const response = await fetch(`http://127.0.0.1:${second.port}/v1/usage`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  const { usage } = (await response.json()) as { usage: UsageWireRow[] };
  assert.equal(usage.length, 1);
  const [row] = usage;
  assert.deepEqual(
    [row?.requests, row?.unsettled_requests, row?.output_tokens],
    [1, 1, 500],
    'one request, counted at its reservation: the 500 output tokens it was granted',
  );
  assert.equal(row!.input_tokens + row!.output_tokens, chargedTokens);
  assert.equal(row!.cost_usd.toFixed(6), chargedUsd.toFixed(6));
  assert.equal(row!.cost_usd.toFixed(6), ((row!.input_tokens * 1000 + 500 * 3000) / 1e6).toFixed(6));
  await second.client.close();
}

describe('GET /v1/usage after a crash', () => {
  it('reports a request cut off by SIGKILL at what the quota charges for it, on the embedded ledger', async (t) => {
    await expectInterruptedRequestReportedAsCharged(
      t,
      writeConfig(mkdtempSync(join(tmpdir(), 'sluice-crash-'))),
    );
  });

  it('reports a request cut off by SIGKILL at what the quota charges for it, with Redis', async (t) => {
    const redis = await connectTestRedis(t);
    if (!redis) return;
    await expectInterruptedRequestReportedAsCharged(
      t,
      writeConfig(mkdtempSync(join(tmpdir(), 'sluice-crash-')), { url: redis.url, prefix: redis.prefix }),
    );
  });
});
