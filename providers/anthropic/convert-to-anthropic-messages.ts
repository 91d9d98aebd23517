import type {
  ContentBlockParam,
  MessageParam,
  TextBlockParam,
  ToolUseBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import type { AssistantToolCall, ChatMessage } from '../../src/spec/chat-request.ts';

/** A conversation in Anthropic's shape: the system prompt apart, then alternating user and assistant turns. */
export interface AnthropicConversation {
  system: TextBlockParam[] | undefined;
  messages: MessageParam[];
}

function toolInput(call: AssistantToolCall): Record<string, unknown> {
  const text = call.function.arguments.trim();
  // OpenAI clients send an empty string for a call without arguments.
  if (text === '') return {};
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    input = undefined;
  }
  // Anthropic takes a tool call's input as a JSON object, never as text.
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new GatewayError('bad_request', `tool call ${call.id} has arguments that are not a JSON object`);
  }
  return input as Record<string, unknown>;
}

function contentBlocks(message: ChatMessage): ContentBlockParam[] {
  if (message.role === 'tool') {
    if (!message.toolCallId) {
      throw new GatewayError('bad_request', 'a tool message needs the id of its tool call');
    }
    return [{ type: 'tool_result', tool_use_id: message.toolCallId, content: message.content }];
  }
  const toolCalls = message.role === 'assistant' ? (message.toolCalls ?? []) : [];
  const toolUses = toolCalls.map(
    (call): ToolUseBlockParam => ({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: toolInput(call),
    }),
  );
  // An assistant turn that only calls tools has empty text, and Anthropic rejects empty text blocks.
  const text: ContentBlockParam[] =
    message.content === '' && toolUses.length > 0 ? [] : [{ type: 'text', text: message.content }];
  return [...text, ...toolUses];
}

/**
 * Converts a conversation to Anthropic's Messages shape: system messages gathered into `system`,
 * tool results sent as a user turn, and consecutive turns of one role merged into one.
 */
export function convertToAnthropicMessages(chatMessages: ChatMessage[]): AnthropicConversation {
  const system: TextBlockParam[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; content: ContentBlockParam[] }> = [];
  for (const message of chatMessages) {
    if (message.role === 'system') {
      system.push({ type: 'text', text: message.content });
      continue;
    }
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const previous = turns.at(-1);
    if (previous?.role === role) previous.content.push(...contentBlocks(message));
    else turns.push({ role, content: contentBlocks(message) });
  }
  const messages = turns.map(({ role, content }): MessageParam => {
    const [only] = content;
    return content.length === 1 && only?.type === 'text' ? { role, content: only.text } : { role, content };
  });
  return { system: system.length > 0 ? system : undefined, messages };
}
