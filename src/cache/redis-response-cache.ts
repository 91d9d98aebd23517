import type { Redis } from 'ioredis';
import { GatewayError } from '../errors/gateway-error.ts';
import type { CachedReply, ResponseCache } from './response-cache.ts';

/** Where and how long the Redis cache keeps replies. */
export interface RedisResponseCacheOptions {
  /**
   * The connection, shared with other Redis users and closed by its owner. Create it with
   * `enableOfflineQueue: false` (and a `commandTimeout`), so that a request fails at once while Redis
   * is down instead of waiting in ioredis' queue for a reconnect.
   */
  redis: Redis;
  /** Put before every key, so that instances of different deployments can share one Redis. */
  prefix: string;
  /** How long a reply is served after it was stored; Redis drops it then (`PX`). */
  ttlMs: number;
  /** The most bytes one entry (its JSON and its key) may take; a bigger reply is not stored. */
  maxBytes: number;
}

/**
 * A `ResponseCache` in Redis, shared by every Sluice instance that uses the same Redis and prefix.
 * Replies are stored as JSON strings with a TTL; the total is bounded by Redis' own `maxmemory`
 * policy, not here. Every failure of Redis rejects with an `unavailable` GatewayError, so the caller
 * can go on without the cache.
 */
export function createRedisResponseCache(options: RedisResponseCacheOptions): ResponseCache {
  const { redis, prefix, ttlMs, maxBytes } = options;
  const keyOf = (key: string) => prefix + key;
  return {
    async get(key) {
      const json = await call(() => redis.get(keyOf(key)));
      return json === null ? undefined : (JSON.parse(json) as CachedReply);
    },
    async set(key, reply) {
      const json = JSON.stringify(reply);
      // An oversized reply still removes the old one, so a refresh never leaves a stale reply behind.
      if (Buffer.byteLength(json) + Buffer.byteLength(keyOf(key)) > maxBytes) {
        await call(() => redis.del(keyOf(key)));
        return;
      }
      await call(() => redis.set(keyOf(key), json, 'PX', ttlMs));
    },
    async delete(key) {
      await call(() => redis.del(keyOf(key)));
    },
    // The connection is shared, so its owner closes it; the cache holds nothing else.
    async close() {},
  };
}

/** Runs one Redis command, turning its failure into the protocol's `unavailable`. */
async function call<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new GatewayError('unavailable', `The Redis response cache is unavailable: ${reason}`, {
      retryable: true,
      cause: error,
    });
  }
}
