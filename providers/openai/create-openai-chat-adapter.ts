import type OpenAI from 'openai';
import type { ProviderAdapter } from '../../src/spec/provider-adapter.ts';
import type { StreamPart } from '../../src/spec/stream-part.ts';
import { startOnFirstPart } from '../shared/start-on-first-part.ts';
import { classifyOpenAiError } from './classify-openai-error.ts';
import { convertToOpenAiRequest, type OpenAiDialect } from './convert-to-openai-request.ts';
import { openAiChunksToParts } from './openai-chunks-to-parts.ts';

/** An adapter for any server that speaks OpenAI's streaming Chat Completions, through the official SDK. */
export function createOpenAiChatAdapter(client: OpenAI, dialect: OpenAiDialect): ProviderAdapter {
  return {
    async stream(request, { signal, requestId, traceparent }) {
      const body = convertToOpenAiRequest(request, dialect);
      async function* generate(): AsyncGenerator<StreamPart> {
        let chunks: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>;
        try {
          chunks = await client.chat.completions.create(body, {
            signal,
            headers: { 'x-request-id': requestId, traceparent },
          });
        } catch (error) {
          throw classifyOpenAiError(error);
        }
        yield* openAiChunksToParts(chunks);
      }
      return startOnFirstPart(generate(), signal);
    },
  };
}
