import { z } from 'zod';
import { routeCacheFields } from '../cache/cache-config-schema.ts';

const count = z.number().int().min(1);

/** Per-target defaults for sampling parameters; a client's own value wins. */
const targetParamsSchema = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: count.optional(),
});

/** One place a model's requests may go: a provider, the upstream's own model name, and how it is used. */
export const targetSchema = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1),
  /** Share of traffic under the `weighted` and `round-robin` strategies. */
  weight: z.number().min(0).default(1),
  params: targetParamsSchema.optional(),
  /** Streams this target serves at once (a self-hosted vLLM or Ollama); absent means no limit. */
  max_concurrency: count.optional(),
  /** Requests that may wait for a slot; past it a request fails over at once. */
  max_queue_length: count.default(100),
  /** How long a request may wait for a slot before it fails over (or gets `unavailable`). */
  max_queue_wait_ms: count.default(10_000),
});

/** How long an upstream call may take, per phase; each ends the request with `upstream_timeout`. */
const timeoutsSchema = z.strictObject({
  /** Until the upstream answers (response headers, or the WebSocket handshake). */
  connect_ms: count.default(10_000),
  /** Until the first output part; a target that misses it fails over like any failure before output. */
  first_token_ms: count.default(60_000),
  /** Between two output parts. */
  idle_ms: count.default(60_000),
  /** The whole request. */
  total_ms: count.default(600_000),
});

const retrySchema = z.strictObject({
  /** Tries per target before failing over, the first one included. */
  attempts: count.default(2),
  base_delay_ms: count.default(200),
  /** The longest wait between tries; an upstream `Retry-After` beyond it fails over at once. */
  max_delay_ms: count.default(5_000),
});

const breakerSchema = z.strictObject({
  /** Consecutive failures that open a target's circuit. */
  threshold: count.default(5),
  /** How long an open circuit skips the target before one probe is let through. */
  half_open_after_ms: count.default(30_000),
});

/** A model name clients ask for: one or more targets and how to choose between them. */
export const modelRouteSchema = z
  .strictObject({
    /** Shorthand for a single target. */
    target: targetSchema.optional(),
    targets: z.array(targetSchema).min(1).optional(),
    strategy: z.enum(['fallback', 'weighted', 'round-robin', 'least-busy']).default('fallback'),
    /**
     * What a cancel costs: `abort` stops the upstream at once and counts unreported usage from the
     * streamed text; `drain` frees the client at once but reads the upstream on, silently, until its
     * reported usage arrives, for exact billing.
     */
    on_cancel: z.enum(['abort', 'drain']).default('abort'),
    timeouts: timeoutsSchema.default(timeoutsSchema.parse({})),
    ...routeCacheFields,
    retry: retrySchema.default(retrySchema.parse({})),
    breaker: breakerSchema.default(breakerSchema.parse({})),
  })
  .refine((route) => (route.target === undefined) !== (route.targets === undefined), {
    message: 'give exactly one of target or targets',
  })
  // `single` remembers the shorthand, so config errors can name the path as the file wrote it.
  .transform(({ target, targets, ...route }) => ({
    ...route,
    targets: targets ?? [target!],
    single: !targets,
  }));

export type ModelRoute = z.infer<typeof modelRouteSchema>;
export type Target = z.infer<typeof targetSchema>;
