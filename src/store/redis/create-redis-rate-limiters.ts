import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { RateLimiters, SlotRelease } from '../../quota/create-rate-limiters.ts';
import type { Plan } from '../../quota/plan-schema.ts';
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
  const limiters = new Map<string, RateLimiterRedis>();

  const limiterFor = (name: string, points: number, duration: number) => {
    const keyPrefix = `${prefix}${name}:${points}`;
    let limiter = limiters.get(keyPrefix);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: redis,
        useRedisPackage: false,
        rejectIfRedisNotReady: true,
        points,
        duration,
        keyPrefix,
      });
      limiters.set(keyPrefix, limiter);
    }
    return limiter;
  };

  return {
    /** Counts one request against the plan's per-minute limit; throws `rate_limited` past it. */
    async countRequest(planName: string, plan: Plan, user: string): Promise<void> {
      if (plan.requests_per_minute === undefined) return;
      const limiter = limiterFor(`rpm:${planName}`, plan.requests_per_minute, 60);
      try {
        await limiter.consume(user);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw redisUnavailable(rejection);
        throw new GatewayError('rate_limited', `at most ${plan.requests_per_minute} requests per minute`, {
          retryAfterMs: rejection.msBeforeNext,
        });
      }
    },

    /** Takes a concurrent-stream slot, shared across instances; throws `rate_limited` when all are in use. */
    async takeStreamSlot(planName: string, plan: Plan, user: string): Promise<SlotRelease> {
      const limit = plan.concurrent_streams;
      if (limit === undefined) return () => {};
      // Duration 0: a slot never expires by itself; the request that took it gives it back.
      const limiter = limiterFor(`streams:${planName}`, limit, 0);
      const giveBack = () => void limiter.reward(user, 1).catch(onReleaseError);
      try {
        await limiter.consume(user);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw redisUnavailable(rejection);
        // A refused consume still counted its point; return it so the refusal holds no slot.
        giveBack();
        throw new GatewayError('rate_limited', `at most ${limit} concurrent streams`);
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        giveBack();
      };
    },
  };
}
