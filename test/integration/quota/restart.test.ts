import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hashApiKey } from '../../../src/auth/hash-api-key.ts';
import { listeningPort, spawnSluice } from '../../helpers/sluice-process.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

const apiKey = 'sk-sluice-restart-test-key';
const messages = [{ role: 'user', content: 'Hello there' }];

/** A config with one user on a daily token budget, its ledger in `directory`. */
function writeConfig(directory: string, tokenDelayMs: number): string {
  const path = join(directory, 'sluice.yaml');
  writeFileSync(
    path,
    [
      'server: { host: 127.0.0.1, port: 0 }',
      `store: { path: ${JSON.stringify(join(directory, 'ledger.db'))} }`,
      'auth:',
      `  api_keys: [{ hash: "${hashApiKey(apiKey)}", user: alice, plan: metered }]`,
      'plans:',
      '  metered: { tokens_per_day: 100000 }',
      'providers:',
      `  demo: { type: demo, token_delay_ms: ${tokenDelayMs} }`,
    ].join('\n'),
  );
  return path;
}

/** Starts Sluice on the config and connects as alice; returns the process, client and `ready` limits. */
async function startAndConnect(configPath: string) {
  const child = spawnSluice(['--config', configPath], {});
  const port = await listeningPort(child);
  const client = await connectTestClient(`ws://127.0.0.1:${port}/v1/ws`, ['sluice.v1', `bearer.${apiKey}`]);
  const ready = await client.next();
  return { child, client, port, limits: ready.limits as Record<string, number> };
}

async function kill(child: ReturnType<typeof spawnSluice>): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe('quota: spent tokens survive a crash', () => {
  it('remembers what a user spent after SIGKILL and a restart on the same database', async () => {
    const configPath = writeConfig(mkdtempSync(join(tmpdir(), 'sluice-restart-')), 0);
    const first = await startAndConnect(configPath);
    assert.equal(first.limits.tokens_left_today, 100_000);
    let leftAfterRequests = 0;
    for (const id of ['a', 'b', 'c']) {
      first.client.send({ type: 'chat', id, model: 'demo', messages });
      const done = (await first.client.collect(id)).at(-1)!;
      leftAfterRequests = (done.quota as { tokens_left_today: number }).tokens_left_today;
    }
    assert.ok(leftAfterRequests < 100_000);
    await kill(first.child);

    const second = await startAndConnect(configPath);
    assert.equal(second.limits.tokens_left_today, leftAfterRequests);
    const usage = (await (
      await fetch(`http://127.0.0.1:${second.port}/v1/usage`, {
        headers: { authorization: `Bearer ${apiKey}` },
      })
    ).json()) as { usage: Array<{ requests: number; model: string }> };
    assert.deepEqual(
      usage.usage.map((row) => [row.model, row.requests]),
      [['demo', 3]],
    );
    await second.client.close();
    await kill(second.child);
  });

  it('keeps charging the reservation of a stream that was in flight when the process died', async () => {
    const configPath = writeConfig(mkdtempSync(join(tmpdir(), 'sluice-restart-')), 20);
    const first = await startAndConnect(configPath);
    first.client.send({
      type: 'chat',
      id: 'long',
      model: 'demo',
      messages: [{ role: 'user', content: 'a long one' }],
      max_tokens: 500,
    });
    await first.client.next((event) => event.id === 'long' && event.seq === 3);
    await kill(first.child);

    const second = await startAndConnect(configPath);
    // Nothing reported the true usage, so the whole reservation (input + max_tokens) stays spent.
    const left = second.limits.tokens_left_today!;
    assert.ok(left <= 100_000 - 500, `${100_000 - left} tokens charged for a request that reserved 500+`);
    await second.client.close();
    await kill(second.child);
  });
});

describe('the usage ledger file', () => {
  it('refuses a second Sluice on the same database at start-up, with a clear message', async () => {
    const configPath = writeConfig(mkdtempSync(join(tmpdir(), 'sluice-lock-')), 0);
    const first = await startAndConnect(configPath);
    const second = spawnSluice(['--config', configPath], {});
    let stderr = '';
    second.stderr!.on('data', (chunk) => {
      stderr += chunk;
    });
    // Were the lock missing, the second would listen: stop it then, so the test fails instead of hanging.
    second.stdout!.on('data', (chunk) => {
      if (String(chunk).includes('Sluice listening')) second.kill('SIGKILL');
    });
    const [code] = await once(second, 'exit');
    assert.equal(code, 1);
    assert.match(stderr, /cannot open the usage ledger .*ledger\.db.*another Sluice/);
    await first.client.close();
    await kill(first.child);
  });
});
