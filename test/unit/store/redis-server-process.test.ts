import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startRedisServerWithClient } from '../../helpers/redis-server-process.ts';
import { until } from '../../helpers/until.ts';

test('a private redis-server keeps its data across stop and start, and a fail-fast client rides it out', async (t) => {
  const started = await startRedisServerWithClient(t);
  if (!started) return;
  const { server, redis } = started;
  await redis.set('kept', 'across a restart');

  await server.stop();
  await until(() => redis.status !== 'ready');
  await assert.rejects(redis.get('kept'));

  await server.start();
  let value: string | null = null;
  await until(async () => {
    try {
      value = await redis.get('kept');
      return true;
    } catch {
      return false;
    }
  });
  assert.equal(value, 'across a restart');
  // Before the server stops: closing a connection already lost leaves a 2 s ioredis timer behind.
  redis.disconnect();
});
