import { randomUUID } from 'node:crypto';
import { type ErrorCode, GatewayError } from '../errors/gateway-error.ts';
import { type EventLog, isEventLogNotFound } from '../resume/event-log.ts';
import type { RequestSignals } from '../resume/request-signals.ts';
import type { SourceItem } from '../spec/source-item.ts';

/** The publishing side of a call this instance claimed. */
export interface SharedCallPublisher {
  /** Appends the call's next item for the followers on other instances (in order, not awaited). */
  publish(item: SourceItem): void;
  /** After the terminal item: the key is free for a new call, followers read on to the end. */
  end(): void;
}

/**
 * Coalescing across instances: the live upstream calls of every instance, by cache key, in Redis.
 * The instance whose request comes first claims the key and publishes the call's items; an
 * identical request on another instance follows them from the first item, then live, instead of
 * calling upstream again. Within an instance the coalescing hub still shares one reader of this
 * among all of that instance's identical requests.
 */
export interface SharedCalls {
  /**
   * Claims the key for a call by this instance and returns its publisher; undefined when another
   * instance runs one (follow it).
   */
  claim(key: string): Promise<SharedCallPublisher | undefined>;
  /** Another instance's call from its first item; rejects with `not_found` when it has ended. */
  follow(key: string, signal: AbortSignal): AsyncIterable<SourceItem>;
  /** Marks this instance as a follower of the key, so that its leader does not stop the call early. */
  attach(key: string): () => void;
  /** Whether some instance follows the key. */
  isFollowed(key: string): Promise<boolean>;
}

export interface SharedCallsOptions {
  /** The event log's retention: a claim not written to for this long has expired in Redis. */
  retentionMs: number;
  /** How often the release of an abandoned claim is tried while Redis cannot answer. Defaults to 1 s. */
  retryIntervalMs?: number;
}

/** A claim whose publisher could not write: its log must be ended, or its followers wait for nothing. */
interface AbandonedClaim {
  /** The claim's own owner token, so that only this claim is ended, never a later one. */
  owner: string;
  /** After this time the claim has expired in Redis by itself: nothing is left to release. */
  expiresBy: number;
  /** The release under way: one at a time, so that a second `end` never lands on a new claim. */
  releasing?: Promise<void>;
}

/** Builds `SharedCalls` on an event log and request signals that every instance shares (Redis). */
export function createSharedCalls(
  events: EventLog,
  signals: RequestSignals,
  instance: string,
  options: SharedCallsOptions,
): SharedCalls {
  const retryIntervalMs = options.retryIntervalMs ?? 1000;
  const abandoned = new Map<string, AbandonedClaim>();

  /**
   * Ends an abandoned claim's log (when it is still that claim's), so that its followers stop at the
   * end marker and the key can be claimed again; rejects when Redis cannot answer.
   */
  const release = (key: string, claim: AbandonedClaim): Promise<void> => {
    claim.releasing ??= (async () => {
      try {
        if ((await events.owner(key)) === claim.owner) await events.end(key, { forget: true });
      } catch (error) {
        // Gone since the check (it expired): as released.
        if (!isEventLogNotFound(error)) throw error;
      } finally {
        claim.releasing = undefined;
      }
      if (abandoned.get(key) === claim) abandoned.delete(key);
    })();
    return claim.releasing;
  };

  /** Releases an abandoned claim as soon as Redis answers, until it has expired by itself. */
  const releaseSoon = (key: string, claim: AbandonedClaim) => {
    release(key, claim).catch(() => {
      if (Date.now() >= claim.expiresBy) {
        if (abandoned.get(key) === claim) abandoned.delete(key);
        return;
      }
      setTimeout(() => releaseSoon(key, claim), retryIntervalMs).unref();
    });
  };

  const publisherOf = (key: string, owner: string): SharedCallPublisher => {
    let seq = 0;
    let broken = false;
    // A write that failed leaves followers a gap they would wait on: stop writing, and end the log
    // once Redis answers again, so that they stop and the key is free for a new call.
    // Writes keep the claim alive; while the upstream is silent (a model thinking before its first
    // token), a renewal does, so that the claim never lapses under a call that is still running.
    const renewal = setInterval(() => {
      if (!broken) events.touch(key).catch(fail);
    }, options.retentionMs / 3);
    renewal.unref();
    const fail = () => {
      clearInterval(renewal);
      if (broken) return;
      broken = true;
      // The last write Redis took was before now: the claim expires by itself within the retention.
      const claim: AbandonedClaim = { owner, expiresBy: Date.now() + options.retentionMs };
      abandoned.set(key, claim);
      releaseSoon(key, claim);
    };
    return {
      publish(item) {
        if (!broken) events.append(key, { seq: seq++, frame: encodeItem(item) }).catch(fail);
      },
      end() {
        clearInterval(renewal);
        if (!broken) events.end(key, { forget: true }).catch(fail);
      },
    };
  };

  return {
    async claim(key) {
      // A claim this instance abandoned is released first, rather than followed to nothing.
      const stale = abandoned.get(key);
      if (stale) await release(key, stale);
      // Unique per call: a late release of this claim can never end another call's log.
      const owner = `${instance}:${randomUUID()}`;
      return (await events.claim(key, owner)) ? publisherOf(key, owner) : undefined;
    },
    async *follow(key, signal) {
      for await (const event of events.read(key, -1, { signal })) yield decodeItem(event.frame);
    },
    attach: (key) => signals.attach(`call:${key}`),
    isFollowed: (key) => signals.isAttached(`call:${key}`),
  };
}

/** An item as JSON: a GatewayError travels as its code, message and retry hint. */
function encodeItem(item: SourceItem): string {
  if (item.type !== 'error') return JSON.stringify(item);
  const { code, message, retryAfterMs } = item.error;
  return JSON.stringify({ ...item, error: { code, message, retryAfterMs } });
}

function decodeItem(frame: string): SourceItem {
  const item = JSON.parse(frame) as SourceItem;
  if (item.type !== 'error') return item;
  const error = item.error as unknown as { code: ErrorCode; message: string; retryAfterMs?: number };
  return {
    ...item,
    error: new GatewayError(error.code, error.message, { retryAfterMs: error.retryAfterMs }),
  };
}
