import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { GatewayError } from '../../../../src/errors/gateway-error.ts';
import { createRedisClient } from '../../../../src/store/redis/create-redis-client.ts';
import { createRedisRateLimiters } from '../../../../src/store/redis/create-redis-rate-limiters.ts';
import { connectTestRedis } from '../../../helpers/redis-test-connection.ts';

const isCode = (code: string) => (error: unknown) => error instanceof GatewayError && error.code === code;

test('the per-minute request limit is shared by two instances', async (t) => {
  const connection = await connectTestRedis(t);
  if (!connection) return;
  const first = createRedisRateLimiters(await connection.connect(), connection.prefix);
  const second = createRedisRateLimiters(await connection.connect(), connection.prefix);
  const plan = { requests_per_minute: 3 };
  await first.countRequest('basic', plan, 'alice');
  await second.countRequest('basic', plan, 'alice');
  await first.countRequest('basic', plan, 'alice');
  await assert.rejects(second.countRequest('basic', plan, 'alice'), (error: unknown) => {
    return isCode('rate_limited')(error) && ((error as GatewayError).retryAfterMs ?? 0) > 0;
  });
  await second.countRequest('basic', plan, 'bob');
});

test('concurrent stream slots are shared by two instances and come back on release', async (t) => {
  const connection = await connectTestRedis(t);
  if (!connection) return;
  const redis = await connection.connect();
  const first = createRedisRateLimiters(redis, connection.prefix);
  const second = createRedisRateLimiters(await connection.connect(), connection.prefix);
  const plan = { concurrent_streams: 2 };
  const releaseFirst = await first.takeStreamSlot('basic', plan, 'alice');
  await second.takeStreamSlot('basic', plan, 'alice');
  await assert.rejects(first.takeStreamSlot('basic', plan, 'alice'), isCode('rate_limited'));
  await assert.rejects(second.takeStreamSlot('basic', plan, 'alice'), isCode('rate_limited'));
  releaseFirst();
  releaseFirst();
  // The release is sent without waiting; a round trip on the same connection runs after it.
  await redis.ping();
  await second.takeStreamSlot('basic', plan, 'alice');
  await assert.rejects(first.takeStreamSlot('basic', plan, 'alice'), isCode('rate_limited'));
});

test('rate limiters whose Redis is unreachable reject with unavailable', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const redis = createRedisClient(`redis://127.0.0.1:${port}`, { commandTimeoutMs: 500 });
  t.after(() => redis.disconnect());
  const limiters = createRedisRateLimiters(redis, 'sluice-test:unreachable:');
  await assert.rejects(
    limiters.countRequest('basic', { requests_per_minute: 5 }, 'alice'),
    isCode('unavailable'),
  );
  await assert.rejects(
    limiters.takeStreamSlot('basic', { concurrent_streams: 1 }, 'alice'),
    isCode('unavailable'),
  );
});
