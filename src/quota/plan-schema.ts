import { z } from 'zod';

const positive = z.number().positive();
const count = z.number().int().positive();

/** One plan's limits; every limit is optional and an absent one does not apply. */
export const planSchema = z.strictObject({
  tokens_per_minute: count.optional(),
  tokens_per_day: count.optional(),
  tokens_per_month: count.optional(),
  requests_per_minute: count.optional(),
  concurrent_streams: count.optional(),
  usd_per_day: positive.optional(),
  usd_per_month: positive.optional(),
  /** The largest `max_tokens` a request may ask for; larger asks are clamped (and the clamp reported). */
  max_tokens: count.optional(),
  /** The model names this plan may use; absent means all. */
  models: z.array(z.string().min(1)).optional(),
});

/** A model's price in US dollars per million tokens, keyed by the upstream model name. */
export const priceSchema = z.strictObject({
  input_per_million: z.number().min(0),
  output_per_million: z.number().min(0),
});

/** How requests are sized and metered against quotas. */
export const quotaSettingsSchema = z.strictObject({
  /** `max_tokens` used when a client gives none (then clamped to what the user has left). */
  default_max_tokens: count.default(1024),
  /** A request that could be granted fewer output tokens than this is refused with `quota_exceeded`. */
  min_output_tokens: count.default(16),
});

export type Plan = z.infer<typeof planSchema>;
export type Price = z.infer<typeof priceSchema>;
export type QuotaSettings = z.infer<typeof quotaSettingsSchema>;
