import type { FinishReason, OutputPart } from '../spec/stream-part.ts';
import type { CachedReply } from './response-cache.ts';

/**
 * The finish reasons of a complete reply that the same request would get again. `length` qualifies
 * because `max_tokens` is part of the key. Never cached: `cancelled` (cut by a client), `quota` (cut by
 * one user's allowance), `content_filter` (cut by moderation, which may be transient or change).
 */
const cacheableFinishReasons: ReadonlySet<FinishReason> = new Set(['stop', 'length', 'tool_calls']);

/** Collects one live reply, to be stored only if it ends well. */
export interface CacheRecorder {
  /** Notes the target that answered, from the reply's start. */
  start(answeredBy: { model: string; provider: string }): void;
  /** Appends one output part, in stream order. */
  add(part: OutputPart): void;
  /**
   * Ends the recording; returns the reply to store when it started, finished with a cacheable reason
   * and nothing ended it before, otherwise undefined.
   */
  finish(finishReason: FinishReason, usage: CachedReply['usage']): CachedReply | undefined;
  /** Ends the recording without a reply (an error, a cancel, an abandoned request); frees the parts. */
  fail(): void;
}

/** A recorder for one reply: a failed, cancelled or cut reply never yields anything to cache. */
export function createCacheRecorder(): CacheRecorder {
  let parts: OutputPart[] = [];
  let answeredBy: { model: string; provider: string } | undefined;
  let ended = false;
  return {
    start({ model, provider }) {
      answeredBy = { model, provider };
    },
    add(part) {
      if (!ended) parts.push(part);
    },
    finish(finishReason, usage) {
      if (ended) return undefined;
      ended = true;
      if (!answeredBy || !cacheableFinishReasons.has(finishReason)) return undefined;
      const { inputTokens, outputTokens } = usage;
      return {
        parts,
        finishReason,
        usage: { inputTokens, outputTokens },
        ...answeredBy,
        createdAt: Date.now(),
      };
    },
    fail() {
      ended = true;
      parts = [];
    },
  };
}
