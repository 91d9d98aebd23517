import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../src/store/redis/create-redis-client.ts';

/** A Redis for one test: a unique key prefix, as many separate connections as it asks for, all cleaned up. */
export interface RedisTestConnection {
  url: string;
  prefix: string;
  /** A new connection (as another Sluice instance would have); closed when the test ends. */
  connect(): Promise<Redis>;
}

const defaultUrl = 'redis://127.0.0.1:6379';

/**
 * Connects to `REDIS_URL` (or a Redis answering at the default address), or skips the test with the
 * reason when there is none; after the test, deletes every key under its prefix and closes its clients.
 */
export async function connectTestRedis(t: TestContext): Promise<RedisTestConnection | undefined> {
  const url = process.env.REDIS_URL ?? defaultUrl;
  let cleaner: Redis;
  try {
    cleaner = await connectRedis(url);
  } catch (error) {
    if (process.env.REDIS_URL !== undefined) throw error;
    t.skip(`no Redis at ${defaultUrl} (set REDIS_URL to run the Redis tests)`);
    return undefined;
  }
  const prefix = `sluice-test:${randomUUID()}:`;
  const clients: Redis[] = [];
  t.after(async () => {
    for (const client of clients) client.disconnect();
    try {
      const keys = await cleaner.keys(`${prefix}*`);
      if (keys.length > 0) await cleaner.del(...keys);
    } finally {
      cleaner.disconnect();
    }
  });
  return {
    url,
    prefix,
    async connect() {
      const client = await connectRedis(url);
      clients.push(client);
      return client;
    },
  };
}
