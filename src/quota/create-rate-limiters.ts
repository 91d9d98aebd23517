import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Plan } from './plan-schema.ts';

/** A concurrency slot held by a running request; releasing it twice is harmless. */
export type SlotRelease = () => void;

/** Concurrency slots a backend keeps itself, e.g. leased so that a crashed holder's slots come back. */
export interface StreamSlots {
  /**
   * Takes a slot under `key` when fewer than `limit` are held there, or resolves to `undefined` when
   * all are; rejects when the store cannot answer.
   */
  take(key: string, limit: number): Promise<SlotRelease | undefined>;
}

/** Where a limiter keeps its counts: this process's memory, or a store shared by instances. */
export interface LimiterBackend {
  create(options: { points: number; duration: number; keyPrefix: string }): RateLimiterAbstract;
  /** Turns a store failure (not a refusal) into the error to fail with. */
  failure(error: unknown): unknown;
  /** Hears of a slot the rate limiter could not give back (it stays taken). */
  onReleaseError?(error: unknown): void;
  /** Keeps the concurrent-stream slots instead of a never-expiring rate limiter. */
  streamSlots?: StreamSlots;
}

/** Counts in this process's memory. */
export const memoryLimiterBackend: LimiterBackend = {
  create: (options) => new RateLimiterMemory(options),
  failure: (error) => error,
};

/**
 * Requests-per-minute and concurrent-stream limits per plan, with rate-limiter-flexible. Unless the
 * backend keeps stream slots itself, the concurrency limiter never expires its points (duration 0): a
 * request takes one and gives it back.
 */
export function createRateLimiters(backend: LimiterBackend = memoryLimiterBackend) {
  const limiters = new Map<string, RateLimiterAbstract>();

  const limiterFor = (name: string, points: number, duration: number) => {
    const keyPrefix = `${name}:${points}`;
    let limiter = limiters.get(keyPrefix);
    if (!limiter) {
      limiter = backend.create({ points, duration, keyPrefix });
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
        if (!(rejection instanceof RateLimiterRes)) throw backend.failure(rejection);
        throw new GatewayError('rate_limited', `at most ${plan.requests_per_minute} requests per minute`, {
          retryAfterMs: rejection.msBeforeNext,
        });
      }
    },

    /** Takes a concurrent-stream slot; throws `rate_limited` when all are in use. */
    async takeStreamSlot(planName: string, plan: Plan, user: string): Promise<SlotRelease> {
      const limit = plan.concurrent_streams;
      if (limit === undefined) return () => {};
      const refusal = () => new GatewayError('rate_limited', `at most ${limit} concurrent streams`);
      if (backend.streamSlots) {
        let release: SlotRelease | undefined;
        try {
          release = await backend.streamSlots.take(`stream-slots:${planName}:${limit}:${user}`, limit);
        } catch (error) {
          throw backend.failure(error);
        }
        if (!release) throw refusal();
        return release;
      }
      const limiter = limiterFor(`streams:${planName}`, limit, 0);
      const giveBack = () => void limiter.reward(user, 1).catch((error) => backend.onReleaseError?.(error));
      try {
        await limiter.consume(user);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw backend.failure(rejection);
        // A refused consume still counted its point; return it so the refusal holds no slot.
        giveBack();
        throw refusal();
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
