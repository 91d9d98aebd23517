import Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import type { StreamPart } from '../../src/spec/stream-part.ts';
import { defineProviderKind } from '../shared/provider-kind.ts';
import { startOnFirstPart } from '../shared/start-on-first-part.ts';
import { anthropicEventsToParts } from './anthropic-events-to-parts.ts';
import { buildAnthropicRequest } from './build-anthropic-request.ts';
import { classifyAnthropicError } from './classify-anthropic-error.ts';
import { holdMessageStopUntilEnd } from './hold-message-stop-until-end.ts';

const anthropicConfigSchema = z.strictObject({
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

/** Anthropic's Messages API, streamed through the official SDK. */
export const anthropicProvider = defineProviderKind({
  type: 'anthropic',
  configSchema: anthropicConfigSchema,
  create(config) {
    const client = new Anthropic({
      apiKey: config.api_key,
      baseURL: config.base_url,
      // Retries and fallbacks belong to the router, which sees every attempt; SDK retries would hide them and multiply them.
      maxRetries: 0,
      timeout: config.timeout_ms,
      // Sluice traces the call itself under the client's trace; the SDK's own spans would each start a trace apart.
      openTelemetry: false,
      defaultHeaders: {
        ...config.headers,
        ...(config.anthropic_version === undefined ? {} : { 'anthropic-version': config.anthropic_version }),
      },
    });
    return {
      async stream(request, { signal, log, requestId, traceparent }) {
        const { body, unsupportedParameters } = buildAnthropicRequest(request, config.default_max_tokens);
        if (unsupportedParameters.length > 0) {
          log.warn(
            { parameters: unsupportedParameters },
            'Anthropic does not accept these parameters; they were not sent',
          );
        }
        async function* generate(): AsyncGenerator<StreamPart> {
          try {
            const events = await client.messages.create(body, {
              signal,
              headers: { 'x-request-id': requestId, traceparent },
            });
            yield* anthropicEventsToParts(holdMessageStopUntilEnd(events));
          } catch (error) {
            throw classifyAnthropicError(error, config.api_key);
          }
        }
        return startOnFirstPart(generate(), signal);
      },
    };
  },
});
