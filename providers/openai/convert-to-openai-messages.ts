import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import type { ChatMessage } from '../../src/spec/chat-request.ts';

function convertMessage(message: ChatMessage): ChatCompletionMessageParam {
  const name = message.name === undefined ? {} : { name: message.name };
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content, ...name };
    case 'user':
      return { role: 'user', content: message.content, ...name };
    case 'assistant': {
      if (!message.toolCalls?.length) return { role: 'assistant', content: message.content, ...name };
      return {
        role: 'assistant',
        // The API's own tool-calling turns carry `null` content, so the history goes back the way it came.
        content: message.content === '' ? null : message.content,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.function.name, arguments: call.function.arguments },
        })),
        ...name,
      };
    }
    case 'tool':
      if (message.toolCallId === undefined) {
        throw new GatewayError('bad_request', 'a tool message needs the id of the tool call it answers');
      }
      return { role: 'tool', content: message.content, tool_call_id: message.toolCallId };
  }
}

/** Converts the conversation to OpenAI Chat Completions messages, tool calls and tool results included. */
export function convertToOpenAiMessages(messages: ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map(convertMessage);
}
