import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { GatewayError } from '../../../../src/errors/gateway-error.ts';
import { createRedisRateLimiters } from '../../../../src/quota/redis/create-redis-rate-limiters.ts';
import { createRedisClient } from '../../../../src/store/redis/create-redis-client.ts';
import { startRedisServerWithClient } from '../../../helpers/redis-server-process.ts';
import { connectTestRedis } from '../../../helpers/redis-test-connection.ts';
import { until } from '../../../helpers/until.ts';

const isCode = (code: string) => (error: unknown) => error instanceof GatewayError && error.code === code;

/** Resolves to whether a take succeeded; a success's slot is kept (and released when the test ends). */
const takes = (t: { after(fn: () => void): void }, take: () => Promise<() => void>) =>
  take().then(
    (release) => {
      t.after(release);
      return true;
    },
    () => false,
  );

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

test('concurrent takes on two instances are granted exactly the shared limit', async (t) => {
  const connection = await connectTestRedis(t);
  if (!connection) return;
  const instances = [
    createRedisRateLimiters(await connection.connect(), connection.prefix),
    createRedisRateLimiters(await connection.connect(), connection.prefix),
  ];
  const plan = { concurrent_streams: 3 };
  const outcomes = await Promise.allSettled(
    Array.from({ length: 12 }, (_, i) => instances[i % 2]!.takeStreamSlot('basic', plan, 'alice')),
  );
  const granted = outcomes.filter((outcome) => outcome.status === 'fulfilled');
  for (const outcome of granted) t.after(outcome.value);
  assert.equal(granted.length, 3);
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled') continue;
    assert.ok(isCode('rate_limited')(outcome.reason));
    assert.equal(outcome.reason.message, 'at most 3 concurrent streams');
  }
  // Another user, and another plan limit, have slots of their own.
  t.after(await instances[0]!.takeStreamSlot('basic', plan, 'bob'));
  t.after(await instances[1]!.takeStreamSlot('basic', { concurrent_streams: 4 }, 'alice'));
});

test('concurrent stream slots are shared by two instances and come back on release', async (t) => {
  const connection = await connectTestRedis(t);
  if (!connection) return;
  const redis = await connection.connect();
  const first = createRedisRateLimiters(redis, connection.prefix);
  const second = createRedisRateLimiters(await connection.connect(), connection.prefix);
  const plan = { concurrent_streams: 2 };
  const releaseFirst = await first.takeStreamSlot('basic', plan, 'alice');
  t.after(await second.takeStreamSlot('basic', plan, 'alice'));
  await assert.rejects(first.takeStreamSlot('basic', plan, 'alice'), isCode('rate_limited'));
  await assert.rejects(second.takeStreamSlot('basic', plan, 'alice'), isCode('rate_limited'));
  releaseFirst();
  releaseFirst();
  // The release is sent without waiting; a round trip on the same connection runs after it.
  await redis.ping();
  t.after(await second.takeStreamSlot('basic', plan, 'alice'));
  await assert.rejects(first.takeStreamSlot('basic', plan, 'alice'), isCode('rate_limited'));
});

test('a held slot outlives its lease while its holder renews it', async (t) => {
  const connection = await connectTestRedis(t);
  if (!connection) return;
  const redis = await connection.connect();
  const holder = createRedisRateLimiters(redis, connection.prefix, undefined, 1500);
  const other = createRedisRateLimiters(await connection.connect(), connection.prefix);
  const plan = { concurrent_streams: 1 };
  t.after(await holder.takeStreamSlot('basic', plan, 'alice'));
  const key = `${connection.prefix}stream-slots:basic:1:alice`;
  const [slotId, firstExpiry] = await redis.zrange(key, '0', '0', 'WITHSCORES');
  assert.ok(slotId);
  await until(async () => {
    const [seconds, microseconds] = await redis.time();
    return Number(seconds) * 1000 + Number(microseconds) / 1000 > Number(firstExpiry);
  });
  assert.ok(Number(await redis.zscore(key, slotId)) > Number(firstExpiry));
  await assert.rejects(other.takeStreamSlot('basic', plan, 'alice'), isCode('rate_limited'));
  assert.ok((await redis.pttl(key)) > 0);
});

test('the slot of a crashed instance is free again once its lease ends', async (t) => {
  const connection = await connectTestRedis(t);
  if (!connection) return;
  const crashing = await connection.connect();
  const doomed = createRedisRateLimiters(crashing, connection.prefix, undefined, 1500);
  const survivor = createRedisRateLimiters(await connection.connect(), connection.prefix);
  const plan = { concurrent_streams: 1 };
  await doomed.takeStreamSlot('basic', plan, 'alice');
  await assert.rejects(survivor.takeStreamSlot('basic', plan, 'alice'), isCode('rate_limited'));
  // It never releases, and with its connection gone it cannot renew.
  crashing.disconnect();
  await until(() => takes(t, () => survivor.takeStreamSlot('basic', plan, 'alice')));
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

test('a slot whose release Redis missed during an outage comes back after its lease', async (t) => {
  const started = await startRedisServerWithClient(t);
  if (!started) return;
  const { server, redis } = started;
  const releaseErrors: unknown[] = [];
  const limiters = createRedisRateLimiters(redis, 'sluice:', (error) => releaseErrors.push(error), 1500);
  const plan = { concurrent_streams: 1 };
  const release = await limiters.takeStreamSlot('basic', plan, 'alice');

  await server.stop();
  await until(() => redis.status !== 'ready');
  await assert.rejects(limiters.takeStreamSlot('basic', plan, 'alice'), isCode('unavailable'));
  release();
  await until(() => releaseErrors.length === 1);

  await server.start();
  await until(() => redis.status === 'ready');
  // The slot survived the restart (the release never reached Redis) until its lease ran out.
  await until(() => takes(t, () => limiters.takeStreamSlot('basic', plan, 'alice')));
  assert.equal(releaseErrors.length, 1);
  redis.disconnect();
});

test('a release Redis missed is tried again, and frees the slot once Redis is back', async (t) => {
  const started = await startRedisServerWithClient(t);
  if (!started) return;
  const { server, redis } = started;
  const releaseErrors: unknown[] = [];
  // A lease long enough that the slot can only come back by the retried release.
  const limiters = createRedisRateLimiters(redis, 'sluice:', (error) => releaseErrors.push(error), 8000);
  const plan = { concurrent_streams: 1 };
  const release = await limiters.takeStreamSlot('basic', plan, 'alice');

  await server.stop();
  await until(() => redis.status !== 'ready');
  release();
  await server.start();
  await until(() => redis.status === 'ready');
  await until(() => takes(t, () => limiters.takeStreamSlot('basic', plan, 'alice')));
  assert.deepEqual(releaseErrors, []);
  redis.disconnect();
});
