import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Plan } from './plan-schema.ts';

/** A concurrency slot held by a running request; releasing it twice is harmless. */
export type SlotRelease = () => void;

/**
 * Requests-per-minute and concurrent-stream limits per plan, with rate-limiter-flexible. The
 * concurrency limiter never expires its points (duration 0): a request takes one and gives it back.
 */
export function createRateLimiters() {
  const perMinute = new Map<string, RateLimiterMemory>();
  const concurrent = new Map<string, RateLimiterMemory>();

  const limiterFor = (
    cache: Map<string, RateLimiterMemory>,
    key: string,
    points: number,
    duration: number,
  ) => {
    const cacheKey = `${key}:${points}`;
    let limiter = cache.get(cacheKey);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points, duration, keyPrefix: cacheKey });
      cache.set(cacheKey, limiter);
    }
    return limiter;
  };

  return {
    /** Counts one request against the plan's per-minute limit; throws `rate_limited` past it. */
    async countRequest(planName: string, plan: Plan, user: string): Promise<void> {
      if (plan.requests_per_minute === undefined) return;
      const limiter = limiterFor(perMinute, `rpm:${planName}`, plan.requests_per_minute, 60);
      try {
        await limiter.consume(user);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        throw new GatewayError('rate_limited', `at most ${plan.requests_per_minute} requests per minute`, {
          retryAfterMs: rejection.msBeforeNext,
        });
      }
    },

    /** Takes a concurrent-stream slot; throws `rate_limited` when all are in use. */
    async takeStreamSlot(planName: string, plan: Plan, user: string): Promise<SlotRelease> {
      const limit = plan.concurrent_streams;
      if (limit === undefined) return () => {};
      const limiter = limiterFor(concurrent, `streams:${planName}`, limit, 0);
      const giveBack = () => void limiter.reward(user, 1);
      try {
        await limiter.consume(user);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
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

export type RateLimiters = ReturnType<typeof createRateLimiters>;
