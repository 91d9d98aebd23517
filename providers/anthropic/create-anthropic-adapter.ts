import Anthropic from '@anthropic-ai/sdk';
import type { ProviderAdapter } from '../../src/spec/provider-adapter.ts';
import type { StreamPart } from '../../src/spec/stream-part.ts';
import { createFetchOverUndiciRequest } from '../shared/fetch-over-undici-request.ts';
import { startOnFirstPart } from '../shared/start-on-first-part.ts';
import type { AnthropicConfig } from './anthropic-config-schema.ts';
import { anthropicEventsToParts } from './anthropic-events-to-parts.ts';
import { buildAnthropicRequest } from './build-anthropic-request.ts';
import { classifyAnthropicError } from './classify-anthropic-error.ts';
import { holdMessageStopUntilEnd } from './hold-message-stop-until-end.ts';

/** An adapter for Anthropic's Messages API, streamed through the official SDK. */
export function createAnthropicAdapter(config: AnthropicConfig): ProviderAdapter {
  const client = new Anthropic({
    apiKey: config.api_key,
    baseURL: config.base_url,
    // Retries and fallbacks belong to the router, which sees every attempt; SDK retries would hide them and multiply them.
    maxRetries: 0,
    // Undici's `request` rather than fetch: the SDK still makes the call, without web streams per event.
    fetch: createFetchOverUndiciRequest(),
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
}
