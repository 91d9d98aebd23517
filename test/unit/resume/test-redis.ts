import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** The Redis the tests use: `REDIS_URL`, or the usual local one. */
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A connection as Sluice makes them: failing at once while Redis is down, never queueing. */
export async function connectTestRedis(): Promise<Redis | undefined> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: 2_000,
  });
  // A missing Redis is reported by `connect` below; the event would only print it again.
  redis.on('error', () => {});
  try {
    await redis.connect();
    return redis;
  } catch {
    redis.disconnect();
    return undefined;
  }
}

/** The reason to skip the Redis tests, or false when a Redis answers. */
export const skipWithoutRedis = await (async () => {
  const probe = await connectTestRedis();
  probe?.disconnect();
  return probe === undefined ? `no Redis at ${redisUrl}` : false;
})();

/** A key prefix no other test (or test run) uses. */
export function uniquePrefix(): string {
  return `sluice-test:${randomUUID()}:`;
}

/** Deletes every key under the prefix. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
}

/** A client of a port where nothing listens (it was free a moment ago), made as Sluice makes them. */
export async function redisWithoutServer(): Promise<Redis> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  const redis = new Redis({ host: '127.0.0.1', port, enableOfflineQueue: false, retryStrategy: () => null });
  // Every command reports the failure; the event would only print it again.
  redis.on('error', () => {});
  return redis;
}
