import { z } from 'zod';

export const anthropicConfigSchema = z.strictObject({
  type: z.literal('anthropic'),
  api_key: z.string().min(1),
  // Given explicitly so that the SDK never picks a host from ANTHROPIC_BASE_URL behind the config's back.
  base_url: z.url().default('https://api.anthropic.com'),
  // Anthropic requires max_tokens on every request, where clients usually leave it out.
  default_max_tokens: z.number().int().positive().default(4096),
  /** Pins the `anthropic-version` header instead of the SDK's own (2026-10-21). */
  anthropic_version: z.string().min(1).optional(),
  /** Extra headers sent with every request, e.g. `anthropic-beta`. */
  headers: z.record(z.string(), z.string()).optional(),
  /** How long to wait for the response headers; the SDK's default is 10 minutes. */
  timeout_ms: z.number().int().positive().optional(),
});

export type AnthropicConfig = z.infer<typeof anthropicConfigSchema>;
