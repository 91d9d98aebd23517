import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { createRateLimiters, type RateLimiters } from '../../quota/create-rate-limiters.ts';
import { redisUnavailable } from './create-redis-client.ts';

/**
 * `createRateLimiters()` shared by every instance on one Redis: requests per minute and concurrent
 * streams counted in Redis keys under `prefix`. A Redis failure rejects with `unavailable` (fail
 * closed). `onReleaseError` hears of a slot that could not be given back (it stays taken).
 */
export function createRedisRateLimiters(
  redis: Redis,
  prefix: string,
  onReleaseError: (error: unknown) => void = () => {},
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
    onReleaseError,
  });
}
