import type { ChatMessage } from '../spec/chat-request.ts';
import { o200kTokenizer } from './o200k-tokenizer.ts';

/** Tokens in a text, by the o200k tokenizer: exact for OpenAI's current models, a close estimate for others. */
export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : o200kTokenizer().countTokens(text);
}

/** Per-message framing tokens OpenAI's chat format adds around each message. */
const tokensPerMessage = 4;

/** Estimated input tokens of a conversation, used when a provider does not report them. */
export function countMessageTokens(messages: readonly ChatMessage[]): number {
  let total = 3;
  for (const message of messages) {
    total += tokensPerMessage + countTextTokens(message.content);
    for (const call of message.toolCalls ?? []) {
      total += countTextTokens(call.function.name) + countTextTokens(call.function.arguments);
    }
  }
  return total;
}
