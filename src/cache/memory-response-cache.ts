import { LRUCache } from 'lru-cache';
import type { CachedReply, ResponseCache } from './response-cache.ts';

/** Bounds of the in-memory cache. */
export interface MemoryResponseCacheOptions {
  /** The most bytes the stored replies may take together; the least recently used go first. */
  maxBytes: number;
  /** How long a reply is served after it was stored. */
  ttlMs: number;
  /** The clock ages are measured with (ms); tests pass a fake one. Defaults to `performance.now`. */
  now?: () => number;
}

/**
 * A `ResponseCache` in this process's memory, with `lru-cache`. Replies are kept as their JSON text:
 * its UTF-8 length is the byte count the bound is measured in, and every read is a fresh copy, as
 * from a shared backend. A reply bigger than `maxBytes` is not stored, and drops any older reply under
 * its key, so a refresh never leaves the stale one behind.
 */
export function createMemoryResponseCache(options: MemoryResponseCacheOptions): ResponseCache {
  const replies = new LRUCache<string, string>({
    maxSize: options.maxBytes,
    sizeCalculation: (json, key) => Buffer.byteLength(json) + key.length,
    ttl: options.ttlMs,
    // Exact expiry; the default debounces the clock with a timer per read.
    ttlResolution: 0,
    ...(options.now ? { perf: { now: options.now } } : {}),
  });
  return {
    async get(key) {
      const json = replies.get(key);
      return json === undefined ? undefined : (JSON.parse(json) as CachedReply);
    },
    async set(key, reply) {
      replies.set(key, JSON.stringify(reply));
    },
    async delete(key) {
      replies.delete(key);
    },
    async close() {
      replies.clear();
    },
  };
}
