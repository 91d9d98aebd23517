import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { ProviderRequest } from '../../src/spec/chat-request.ts';
import { convertToOpenAiMessages } from './convert-to-openai-messages.ts';

/** How a server's dialect of Chat Completions differs from OpenAI's own. */
export interface OpenAiDialect {
  /**
   * The body field for the output token limit: OpenAI deprecated `max_tokens` (its reasoning models
   * reject it) for `max_completion_tokens`, which many compatible servers do not know yet.
   */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** Whether to ask for the usage chunk with `stream_options` (some servers reject the field). */
  includeUsage: boolean;
}

/** Builds the streaming Chat Completions body for a request, leaving unset parameters out. */
export function convertToOpenAiRequest(
  request: ProviderRequest,
  dialect: OpenAiDialect,
): ChatCompletionCreateParamsStreaming {
  return {
    model: request.model,
    messages: convertToOpenAiMessages(request.messages),
    stream: true,
    ...(dialect.includeUsage ? { stream_options: { include_usage: true } } : {}),
    ...(request.maxTokens === undefined ? {} : { [dialect.maxTokensField]: request.maxTokens }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.topP === undefined ? {} : { top_p: request.topP }),
    // OpenAI rejects an empty `stop` or `tools` array instead of reading it as "none".
    ...(request.stop?.length ? { stop: request.stop } : {}),
    ...(request.tools?.length ? { tools: request.tools } : {}),
  };
}
