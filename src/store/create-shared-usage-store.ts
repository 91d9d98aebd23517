import type { Logger } from 'pino';
import { isGatewayError } from '../errors/gateway-error.ts';
import type { SettledUsage, UsageStore } from './usage-store.ts';

export interface SharedUsageStoreOptions {
  /** The store all instances share (Redis): it decides every reservation and holds the totals. */
  shared: UsageStore;
  /** This instance's own durable record (SQLite): one row per request, whatever happens to Redis. */
  ledger: UsageStore;
  log: Logger;
  /** How often settlements that Redis could not take are tried again. Defaults to 1 s. */
  retryIntervalMs?: number;
}

/**
 * The usage store of an instance among many. The shared store (Redis) decides: its totals are the
 * one quota of each user across every instance, and `GET /v1/usage` reads them. This instance's
 * ledger (SQLite) records each request it served, so the per-request record survives a Redis that
 * loses its data, and never depends on Redis being up at the end of a request.
 *
 * When Redis cannot take a settlement (it went away mid-request), the ledger still records it and the
 * settlement is retried until Redis answers; until then Redis keeps charging the whole reservation,
 * so a user is never undercharged. A settlement runs at most once in Redis (the script deletes the
 * reservation it settles), so a retry can never bill twice. A reservation whose answer was lost is
 * released the same way, by settling it at zero.
 */
export function createSharedUsageStore(options: SharedUsageStoreOptions): UsageStore & {
  /** Settlements waiting for Redis. */
  pendingSettlements(): number;
} {
  const { shared, ledger, log } = options;
  /** Settlements Redis did not take yet, by request id. */
  const pending = new Map<string, SettledUsage>();
  let retryTimer: NodeJS.Timeout | undefined;

  const retryPending = async () => {
    retryTimer = undefined;
    for (const [requestId, usage] of pending) {
      try {
        await shared.settle(requestId, usage);
        pending.delete(requestId);
      } catch (error) {
        if (isGatewayError(error) && error.code === 'unavailable') break;
        // Nothing left to settle (it was settled, or expired with its windows): nothing to retry.
        pending.delete(requestId);
      }
    }
    if (pending.size > 0) scheduleRetry();
    else log.info('every delayed settlement reached the shared store');
  };

  const scheduleRetry = () => {
    retryTimer ??= setTimeout(() => void retryPending(), options.retryIntervalMs ?? 1000);
    retryTimer.unref();
  };

  const settleLater = (requestId: string, usage: SettledUsage, error: unknown) => {
    if (pending.size === 0) log.warn({ err: error }, 'the shared store is unavailable: settling later');
    pending.set(requestId, usage);
    scheduleRetry();
  };

  return {
    async reserve(request) {
      let result: Awaited<ReturnType<UsageStore['reserve']>>;
      try {
        result = await shared.reserve(request);
      } catch (error) {
        // The script may have run and only its answer been lost: release whatever it booked.
        if (isGatewayError(error) && error.code === 'unavailable') {
          settleLater(request.requestId, releasedUsage, error);
        }
        throw error;
      }
      if (!result.granted) return result;
      // The local row books what Redis granted: the ledger itself enforces no limit.
      await ledger.reserve({
        ...request,
        limits: [],
        wantedOutputTokens: result.outputTokens,
        minOutputTokens: 0,
      });
      return result;
    },

    async settle(requestId, usage) {
      await ledger.settle(requestId, usage);
      try {
        return await shared.settle(requestId, usage);
      } catch (error) {
        if (!isGatewayError(error) || error.code !== 'unavailable') throw error;
        settleLater(requestId, usage, error);
        // Booked locally; what is left is not known until Redis answers again.
        return [];
      }
    },

    recordRefusal: (facts, outcome) => ledger.recordRefusal(facts, outcome),
    remaining: (user, limits, now) => shared.remaining(user, limits, now),
    usageByDay: (since, user) => shared.usageByDay(since, user),
    pendingSettlements: () => pending.size,

    async close() {
      clearTimeout(retryTimer);
      if (pending.size > 0) {
        log.warn(
          { pending: pending.size },
          'closing with settlements Redis never took: their reservations stay charged there',
        );
      }
      await Promise.all([shared.close(), ledger.close()]);
    },
  };
}

/** The settlement of a reservation that served nothing. */
const releasedUsage: SettledUsage = {
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  cached: false,
  outcome: 'unavailable',
  durationMs: 0,
};
