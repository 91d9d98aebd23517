import type { FinishReason, OutputPart } from '../spec/stream-part.ts';

/** A complete, successful reply as the cache keeps it: enough to replay it part for part. */
export interface CachedReply {
  /** Every output part in stream order: text, reasoning and tool-call fragments alike. */
  parts: OutputPart[];
  finishReason: FinishReason;
  usage: { inputTokens: number; outputTokens: number };
  /** The upstream model that answered. */
  model: string;
  /** The provider (target name) that answered. */
  provider: string;
  /** When the reply was recorded (ms since the epoch). */
  createdAt: number;
}

/**
 * Where replies are kept between requests, keyed by `cacheKey`. Methods are async so that a shared
 * backend (Redis) can implement the same interface as the in-memory one; a backend serializes, so a
 * reply read back is a copy, never the object that was stored.
 */
export interface ResponseCache {
  /** The reply stored under the key, or undefined when there is none or it expired. */
  get(key: string): Promise<CachedReply | undefined>;
  /** Stores (or replaces) the reply under the key; a reply too big for the cache is not stored. */
  set(key: string, reply: CachedReply): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}
