import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { redisUnavailable } from '../../store/redis/create-redis-client.ts';
import { createRateLimiters, type RateLimiters } from '../create-rate-limiters.ts';
import { createRedisStreamSlots } from './redis-stream-slots.ts';

/** How long a stream slot stays taken after its holder stops renewing it (a crash, a lost Redis). */
export const defaultStreamSlotLeaseMs = 30_000;

/**
 * `createRateLimiters()` shared by every instance on one Redis, in keys under `prefix`: requests per
 * minute with rate-limiter-flexible, concurrent streams as leased slots (`createRedisStreamSlots`),
 * so a crashed instance or a failed release holds a slot for at most `streamSlotLeaseMs`. A Redis
 * failure rejects with `unavailable` (fail closed). `onReleaseError` hears of a slot that could not be
 * given back after a few tries (its lease expires instead).
 */
export function createRedisRateLimiters(
  redis: Redis,
  prefix: string,
  onReleaseError: (error: unknown) => void = () => {},
  streamSlotLeaseMs: number = defaultStreamSlotLeaseMs,
): RateLimiters {
  return createRateLimiters({
    create: ({ points, duration, keyPrefix }) =>
      new RateLimiterRedis({
        storeClient: redis,
        useRedisPackage: false,
        rejectIfRedisNotReady: true,
        points,
        duration,
        keyPrefix: `${prefix}${keyPrefix}`,
      }),
    failure: redisUnavailable,
    streamSlots: createRedisStreamSlots({ redis, prefix, leaseMs: streamSlotLeaseMs, onReleaseError }),
  });
}
