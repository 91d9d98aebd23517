import { randomUUID } from 'node:crypto';
import { setTimeout as wait } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { createRedisScript } from '../../store/redis/redis-script.ts';
import type { SlotRelease, StreamSlots } from '../create-rate-limiters.ts';
import { renewSlotLua, takeSlotLua } from './stream-slot-scripts.ts';

export interface RedisStreamSlotsOptions {
  /** A fail-fast client (see `createRedisClient`); the slots never close it. */
  redis: Redis;
  /** Prepended to every key, e.g. `sluice:`. */
  prefix: string;
  /** How long a slot stays taken without a renewal: how long a crashed holder's slot stays lost. */
  leaseMs: number;
  /** Hears of a slot that could not be given back after every try; its lease will expire instead. */
  onReleaseError: (error: unknown) => void;
}

/** How many times a release is tried; the tries are spread over the lease, after which there is no point. */
const releaseTries = 3;

const takeScript = createRedisScript(takeSlotLua);
const renewScript = createRedisScript(renewSlotLua);

/**
 * Concurrent-stream slots shared by every instance on one Redis, none of which can leak: a slot is a
 * lease (a member of a sorted set scored by its expiry on Redis' clock) that its holder renews every
 * third of the lease while it runs. A holder that crashes, or loses Redis for longer than a lease,
 * stops renewing and its slot comes back by itself. Taking and renewing are Lua scripts, atomic across
 * instances; a take that Redis cannot answer rejects (the caller fails closed).
 *
 * Needs Redis 5 or later (scripts that read `TIME` before writing).
 */
export function createRedisStreamSlots(options: RedisStreamSlotsOptions): StreamSlots {
  const { redis, prefix, leaseMs, onReleaseError } = options;
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 3) {
    throw new RangeError(
      `a stream slot lease must be a whole number of milliseconds, at least 3: ${leaseMs}`,
    );
  }

  /** Removes the slot, trying again a few times while Redis is away; otherwise its lease expires it. */
  async function giveBack(key: string, slotId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await redis.zrem(key, slotId);
        return;
      } catch (error) {
        if (attempt === releaseTries) return onReleaseError(error);
        await wait(leaseMs / (releaseTries + 1), undefined, { ref: false });
      }
    }
  }

  /** Renews the lease until it is released or lost, and gives it back once, on the first release. */
  function hold(key: string, slotId: string, leasedAt: number): SlotRelease {
    let aliveSince = leasedAt;
    const renew = async () => {
      const sentAt = Date.now();
      try {
        if ((await renewScript.run(redis, [key], [slotId, leaseMs])) === 1) aliveSince = sentAt;
        else clearInterval(timer);
      } catch {
        // Redis is away: the next tick tries again, unless the lease has surely expired meanwhile.
        if (Date.now() - aliveSince >= leaseMs) clearInterval(timer);
      }
    };
    const timer = setInterval(() => void renew(), leaseMs / 3);
    timer.unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      void giveBack(key, slotId);
    };
  }

  return {
    async take(key, limit) {
      const setKey = `${prefix}${key}`;
      const slotId = randomUUID();
      const sentAt = Date.now();
      const taken = await takeScript.run(redis, [setKey], [slotId, limit, leaseMs]);
      return taken === 1 ? hold(setKey, slotId, sentAt) : undefined;
    },
  };
}
