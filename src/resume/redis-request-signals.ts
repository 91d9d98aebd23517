import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisUnavailable } from '../store/redis/create-redis-client.ts';
import type { RequestSignals } from './request-signals.ts';

export interface RedisRequestSignalsOptions {
  /** A fail-fast connection shared with the other stores; not closed here. */
  redis: Redis;
  prefix: string;
  /** How long a reader's mark lasts unless refreshed (it is refreshed at a third of this). */
  readerTtlMs?: number;
  /** Hears failures that have no caller to reject (refreshing a mark, the subscriber connection). */
  onError?: (error: unknown) => void;
}

/**
 * `RequestSignals` shared by every instance on one Redis. A reader's mark is a member of a sorted
 * set per key whose score is when the mark lapses, refreshed while the reader reads: a reader on an
 * instance that died stops counting by itself. Cancels travel by Redis pub/sub to every instance
 * (delivery is at most once: a cancel lost while Redis is down is lost, and the request runs on).
 */
export async function createRedisRequestSignals(
  options: RedisRequestSignalsOptions,
): Promise<RequestSignals> {
  const { redis, prefix } = options;
  const readerTtlMs = options.readerTtlMs ?? 15_000;
  const onError = options.onError ?? (() => {});
  const readersKey = (key: string) => `${prefix}readers:{${key}}`;
  const channel = `${prefix}cancel`;
  const listeners: Array<(key: string) => void> = [];
  const refreshers = new Set<NodeJS.Timeout>();

  // A subscribed connection can do nothing else, so cancels arrive on a connection of their own,
  // which reconnects and subscribes again by itself after an outage.
  const subscriber = redis.duplicate({ enableOfflineQueue: true });
  subscriber.on('error', onError);
  subscriber.on('message', (_channel: string, key: string) => {
    for (const listener of listeners) listener(key);
  });
  await subscriber.subscribe(channel);

  const mark = (key: string, reader: string) =>
    redis
      .multi()
      .zadd(readersKey(key), Date.now() + readerTtlMs, reader)
      .pexpire(readersKey(key), readerTtlMs)
      .exec();

  return {
    attach(key) {
      const reader = randomUUID();
      mark(key, reader).catch(onError);
      const refresher = setInterval(() => mark(key, reader).catch(onError), readerTtlMs / 3);
      refresher.unref();
      refreshers.add(refresher);
      let attached = true;
      return () => {
        if (!attached) return;
        attached = false;
        clearInterval(refresher);
        refreshers.delete(refresher);
        redis.zrem(readersKey(key), reader).catch(onError);
      };
    },
    async isAttached(key) {
      try {
        return (await redis.zcount(readersKey(key), Date.now(), '+inf')) > 0;
      } catch (error) {
        throw redisUnavailable(error, 'Redis');
      }
    },
    async cancel(key) {
      try {
        await redis.publish(channel, key);
      } catch (error) {
        throw redisUnavailable(error, 'Redis');
      }
    },
    onCancel(listener) {
      listeners.push(listener);
    },
    async close() {
      for (const refresher of refreshers) clearInterval(refresher);
      refreshers.clear();
      subscriber.disconnect();
    },
  };
}
