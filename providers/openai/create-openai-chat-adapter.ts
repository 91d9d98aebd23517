import type OpenAI from 'openai';
import type { ProviderAdapter } from '../../src/spec/provider-adapter.ts';
import { startOnFirstPart } from '../shared/start-on-first-part.ts';
import { classifyOpenAiError } from './classify-openai-error.ts';
import { convertToOpenAiRequest, type OpenAiDialect } from './convert-to-openai-request.ts';
import { readOpenAiEventStream } from './read-openai-event-stream.ts';

/**
 * An adapter for any server that speaks OpenAI's streaming Chat Completions. The official SDK makes
 * the request (auth, headers, timeouts, HTTP errors as APIError); its body is read by our own event
 * reader, which is several times cheaper per token than the SDK's stream (see bench/RESULTS.md).
 */
export function createOpenAiChatAdapter(client: OpenAI, dialect: OpenAiDialect): ProviderAdapter {
  return {
    async stream(request, { signal, requestId, traceparent, connectTimeoutMs }) {
      const body = convertToOpenAiRequest(request, dialect);
      let response: Response;
      try {
        response = await client.chat.completions
          .create(body, {
            signal,
            headers: { 'x-request-id': requestId, traceparent },
            ...(connectTimeoutMs === undefined ? {} : { timeout: connectTimeoutMs }),
          })
          .asResponse();
      } catch (error) {
        throw classifyOpenAiError(error);
      }
      // The reader's parts go straight to startOnFirstPart: no generator in between, one async
      // layer less for every token.
      return startOnFirstPart(readOpenAiEventStream(response), signal);
    },
  };
}
