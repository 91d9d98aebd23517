import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnSluice } from '../../helpers/sluice-process.ts';
import { startTestSluice } from '../../helpers/start-test-sluice.ts';

/** A loopback port nothing listens on right now. */
async function deadPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('store: redis with no Redis to reach', () => {
  it('refuses to start, saying it cannot reach Redis, without the password', async () => {
    const url = `redis://:hunter2-secret@127.0.0.1:${await deadPort()}`;
    await assert.rejects(startTestSluice({ store: { backend: 'redis', redis: { url } } }), (error: Error) => {
      assert.match(error.message, /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });

  it('makes the process exit non-zero with that message, the address taken from REDIS_URL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-redis-start-'));
    try {
      const path = join(dir, 'sluice.yaml');
      await writeFile(path, "server: { port: 0 }\nstore: { backend: redis, path: ':memory:' }\n");
      const port = await deadPort();
      const child = spawnSluice(['--config', path], { REDIS_URL: `redis://127.0.0.1:${port}` });
      let stderr = '';
      let stdout = '';
      child.stderr!.on('data', (chunk) => {
        stderr += chunk;
      });
      child.stdout!.on('data', (chunk) => {
        stdout += chunk;
      });
      const [code] = await once(child, 'exit');
      assert.notEqual(code, 0);
      assert.match(stderr, new RegExp(`cannot start: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}`));
      assert.doesNotMatch(stdout, /requests fail with unavailable/, 'no log line pretends it is serving');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
