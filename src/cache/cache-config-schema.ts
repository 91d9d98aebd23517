import { z } from 'zod';

const count = z.number().int().min(1);

/** The top-level `cache` block: the bounds of the response cache and how hits are billed. */
export const cacheConfigSchema = z.strictObject({
  /** The most bytes the stored replies take together (their JSON); the least recently used go first. */
  max_bytes: count.default(64 * 1024 * 1024),
  /** How long a stored reply is served. */
  ttl_ms: count.default(10 * 60 * 1000),
  /** Whether a hit counts its tokens against the user's token quotas (always at a price of zero). */
  hits_count_tokens: z.boolean().default(true),
});

/** The per-route fields, to be spread into a model route's schema. */
export const routeCacheFields = {
  /** `on`, `off`, or `temperature-zero`: only requests sent upstream with `temperature: 0`. */
  cache: z.enum(['off', 'on', 'temperature-zero']).default('temperature-zero'),
  /** Whether an identical request joins one already streaming instead of calling upstream again. */
  coalesce: z.boolean().default(true),
};

export type CacheConfig = z.infer<typeof cacheConfigSchema>;
