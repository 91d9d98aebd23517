import Anthropic from '@anthropic-ai/sdk';
import type { ProviderAdapter } from '../../src/spec/provider-adapter.ts';
import { createFetchOverUndiciDispatcher } from '../shared/fetch-over-undici-dispatcher.ts';
import { startOnFirstPart } from '../shared/start-on-first-part.ts';
import type { AnthropicConfig } from './anthropic-config-schema.ts';
import { buildAnthropicRequest } from './build-anthropic-request.ts';
import { classifyAnthropicError } from './classify-anthropic-error.ts';
import { readAnthropicEventStream } from './read-anthropic-event-stream.ts';

/** An adapter for Anthropic's Messages API: the official SDK makes the request, our reader reads the stream. */
export function createAnthropicAdapter(config: AnthropicConfig): ProviderAdapter {
  const client = new Anthropic({
    apiKey: config.api_key,
    baseURL: config.base_url,
    // Retries and fallbacks belong to the router, which sees every attempt; SDK retries would hide them and multiply them.
    maxRetries: 0,
    // Undici's dispatcher rather than fetch: the SDK still makes the call, and no stream sits between
    // the socket and our event reader (see fetch-over-undici-dispatcher.ts).
    fetch: createFetchOverUndiciDispatcher(),
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
      let response: Response;
      try {
        response = await client.messages
          .create(body, { signal, headers: { 'x-request-id': requestId, traceparent } })
          .asResponse();
      } catch (error) {
        throw classifyAnthropicError(error, config.api_key);
      }
      // The SDK makes the request (auth, headers, timeouts, HTTP errors as APIError); the body is read
      // by our own event reader, one promise per network read rather than the SDK stream's several per event.
      return startOnFirstPart(readAnthropicEventStream(response, config.api_key), signal);
    },
  };
}
