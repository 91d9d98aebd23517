import type { Redis } from 'ioredis';
import { type WindowName, windowEnd, windowNames, windowStart } from '../quota-windows.ts';
import type {
  RequestFacts,
  ReservationRequest,
  ReservationResult,
  SettledUsage,
  UsageRow,
  UsageStore,
  WindowLimit,
  WindowRemaining,
} from '../usage-store.ts';
import { redisUnavailable } from './create-redis-client.ts';
import { createRedisScript } from './redis-script.ts';
import { reserveLua, settleLua } from './usage-scripts.ts';

export interface RedisUsageStoreOptions {
  /** A fail-fast client (see `createRedisClient`); the store never closes it. */
  redis: Redis;
  /** Prepended to every key, e.g. `sluice:`. */
  prefix: string;
}

/** Window keys outlive their window by this much, so a late settlement still finds them. */
const windowGraceMs = 60_000;
/** An open reservation lives at least this long, so a long request can still settle. */
const reservationLifetimeMs = 24 * 60 * 60_000;
/** How long per-day usage is kept for `GET /v1/usage`. */
const usageLifetimeDays = 400;
const dayMs = 24 * 60 * 60_000;
const usageLifetimeSeconds = Math.ceil((usageLifetimeDays * dayMs) / 1000);

/** A window's use as Redis keeps it: tokens, and dollars as integer micro-dollars (no float drift). */
interface WindowTotal {
  tokens: number;
  microUsd: number;
}

const toMicroUsd = (usd: number) => Math.round(usd * 1_000_000);
const dayOf = (time: number) => new Date(time).toISOString().slice(0, 10);

const reserveScript = createRedisScript(reserveLua);
const settleScript = createRedisScript(settleLua);

/**
 * The multi-instance store: window totals, open reservations and per-day usage in Redis. Every
 * decision and booking is one server-side Lua script, so instances sharing a Redis can never together
 * overspend; a reservation left by a crashed instance keeps charging until its windows expire, and
 * shows in the usage by day at its reserved amounts, as an unsettled request. Any
 * Redis failure rejects with `unavailable`, so requests are refused rather than admitted unmetered.
 */
export function createRedisUsageStore(options: RedisUsageStoreOptions): UsageStore {
  const { redis, prefix } = options;
  const windowKey = (user: string, window: WindowName, time: number) =>
    `${prefix}window:${window}:${windowStart(window, time)}:${user}`;
  const reservationKey = (requestId: string) => `${prefix}reservation:${requestId}`;
  const usageKey = (day: string) => `${prefix}usage:${day}`;

  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof StoreStateError) throw error;
      throw redisUnavailable(error);
    }
  }

  async function totalsAt(user: string, now: number): Promise<Map<WindowName, WindowTotal>> {
    const replies = await Promise.all(
      windowNames.map((window) => redis.hmget(windowKey(user, window, now), 'tokens', 'usd')),
    );
    return new Map(
      windowNames.map((window, index) => {
        const [tokens, usd] = replies[index] ?? [];
        return [window, { tokens: Number(tokens ?? 0), microUsd: Number(usd ?? 0) }];
      }),
    );
  }

  return {
    reserve(request: ReservationRequest): Promise<ReservationResult> {
      return guarded(async () => {
        const { user, time, limits } = request;
        const windowExpiries = windowNames.map((window) => windowEnd(window, time) + windowGraceMs);
        const reservationExpiry = Math.max(...windowExpiries, time + reservationLifetimeMs);
        const encodedLimits = limits.map((limit) => ({ ...limit, w: windowNames.indexOf(limit.window) + 1 }));
        const reply = (await reserveScript.run(
          redis,
          [...windowNames.map((window) => windowKey(user, window, time)), reservationKey(request.requestId)],
          [
            request.inputTokens,
            request.wantedOutputTokens,
            request.minOutputTokens,
            String(request.price.input),
            String(request.price.output),
            JSON.stringify(encodedLimits),
            ...windowExpiries,
            reservationExpiry,
            user,
            request.model,
            JSON.stringify(limits),
            usageKey(dayOf(time)),
            usageLifetimeSeconds,
          ],
        )) as Array<number | string>;
        if (reply[0] === -1) throw new StoreStateError(`duplicate reservation ${request.requestId}`);
        if (reply[0] === 0) {
          const window = reply[1] as WindowName;
          return {
            granted: false,
            window,
            retryAfterMs: windowEnd(window, time) - time,
            remaining: remainingOf(limits, totalsFromReply(reply.slice(2)), time),
          };
        }
        return {
          granted: true,
          outputTokens: Number(reply[1]),
          remaining: remainingOf(limits, totalsFromReply(reply.slice(4)), time),
        };
      });
    },

    settle(requestId: string, usage: SettledUsage): Promise<WindowRemaining[]> {
      return guarded(async () => {
        const reply = (await settleScript.run(
          redis,
          [reservationKey(requestId)],
          [usage.inputTokens, usage.outputTokens, toMicroUsd(usage.costUsd), usageLifetimeSeconds],
        )) as Array<number | string>;
        if (reply[0] === 0) throw new StoreStateError(`no open reservation ${requestId}`);
        const user = String(reply[1]);
        const limits = JSON.parse(String(reply[2])) as WindowLimit[];
        const now = Date.now();
        return remainingOf(limits, await totalsAt(user, now), now);
      });
    },

    async recordRefusal(_facts: RequestFacts, _outcome: string): Promise<void> {
      // Refusals count against no quota and appear in no usage report; the request log records them.
    },

    remaining(user, limits, now) {
      return guarded(async () => remainingOf(limits, await totalsAt(user, now), now));
    },

    usageByDay(since: number, user?: string): Promise<UsageRow[]> {
      return guarded(async () => {
        const now = Date.now();
        const first = Math.max(since, now - usageLifetimeDays * dayMs);
        const days: string[] = [];
        for (let time = first - (first % dayMs); time <= now; time += dayMs) days.push(dayOf(time));
        const hashes = await Promise.all(days.map((day) => redis.hgetall(usageKey(day))));
        const rows: UsageRow[] = [];
        days.forEach((day, index) => {
          const groups = new Map<string, UsageRow>();
          for (const [field, value] of Object.entries(hashes[index] ?? {})) {
            const separator = field.indexOf(':');
            const metric = field.slice(0, separator);
            const group = field.slice(separator + 1);
            const [rowUser, model] = JSON.parse(group) as [string, string];
            if (user !== undefined && rowUser !== user) continue;
            let row = groups.get(group);
            if (!row) {
              row = {
                day,
                user: rowUser,
                model,
                requests: 0,
                inputTokens: 0,
                outputTokens: 0,
                costUsd: 0,
                unsettledRequests: 0,
              };
              groups.set(group, row);
            }
            const amount = Number(value);
            if (metric === 'requests') row.requests = amount;
            else if (metric === 'input') row.inputTokens = amount;
            else if (metric === 'output') row.outputTokens = amount;
            else if (metric === 'cost') row.costUsd = amount / 1_000_000;
            else if (metric === 'unsettled') row.unsettledRequests = amount;
          }
          rows.push(...[...groups.values()].sort(byUserThenModel));
        });
        return rows;
      });
    },

    async close() {
      // The client belongs to whoever created it (it may serve the rate limiters too).
    },
  };
}

/** A store-state problem (a duplicate or unknown request id), not an outage: it must not read as `unavailable`. */
class StoreStateError extends Error {}

function totalsFromReply(values: ReadonlyArray<number | string>): Map<WindowName, WindowTotal> {
  return new Map(
    windowNames.map((window, index) => [
      window,
      { tokens: Number(values[index * 2]), microUsd: Number(values[index * 2 + 1]) },
    ]),
  );
}

function remainingOf(
  limits: readonly WindowLimit[],
  totals: Map<WindowName, WindowTotal>,
  now: number,
): WindowRemaining[] {
  return limits.map((limit) => {
    const total = totals.get(limit.window) ?? { tokens: 0, microUsd: 0 };
    const remaining: WindowRemaining = { window: limit.window, resetsAt: windowEnd(limit.window, now) };
    if (limit.tokens !== undefined) remaining.tokens = Math.max(0, limit.tokens - total.tokens);
    if (limit.usd !== undefined) remaining.usd = Math.max(0, limit.usd - total.microUsd / 1_000_000);
    return remaining;
  });
}

function byUserThenModel(left: UsageRow, right: UsageRow): number {
  const byUser = (left.user ?? '').localeCompare(right.user ?? '');
  return byUser !== 0 ? byUser : left.model.localeCompare(right.model);
}
