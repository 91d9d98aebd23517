import type { MessageCreateParamsStreaming } from '@anthropic-ai/sdk/resources/messages';
import type { ProviderRequest } from '../../src/spec/chat-request.ts';
import { convertToAnthropicMessages } from './convert-to-anthropic-messages.ts';
import { convertToAnthropicTools } from './convert-to-anthropic-tools.ts';

/** The body of a streaming Messages call, and the request's parameters that could not be sent. */
export interface AnthropicRequest {
  body: MessageCreateParamsStreaming;
  /** Client parameters left out, by their protocol names, for the caller to report. */
  unsupportedParameters: string[];
}

/** Builds the Messages API body for a request; `defaultMaxTokens` fills in the limit Anthropic requires. */
export function buildAnthropicRequest(request: ProviderRequest, defaultMaxTokens: number): AnthropicRequest {
  const { system, messages } = convertToAnthropicMessages(request.messages);
  const body: MessageCreateParamsStreaming = {
    model: request.model,
    max_tokens: request.maxTokens ?? defaultMaxTokens,
    messages,
    stream: true,
  };
  if (system) body.system = system;
  if (request.stop && request.stop.length > 0) body.stop_sequences = request.stop;
  if (request.tools && request.tools.length > 0) body.tools = convertToAnthropicTools(request.tools);
  // API version 2026-10-21, which this SDK speaks, answers 400 to any sampling parameter, even a default one.
  const unsupportedParameters = [
    ...(request.temperature === undefined ? [] : ['temperature']),
    ...(request.topP === undefined ? [] : ['top_p']),
  ];
  return { body, unsupportedParameters };
}
