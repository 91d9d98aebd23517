import type { ChatMessage } from '../../src/spec/chat-request.ts';
import { o200kTokenizer } from '../../src/usage/o200k-tokenizer.ts';

const shortReply =
  'Hello from Sluice! This reply comes from the built-in demo provider, so no API key is needed. Add a provider to your config (or set OPENAI_API_KEY or ANTHROPIC_API_KEY) and ask for its model to talk to a real LLM.';

const longParagraph =
  'Sluice sits between chat clients and LLM providers. It streams every token the moment it arrives, enforces per-user quotas that hold under concurrency, caches and coalesces identical requests, and speaks both its own WebSocket protocol and the OpenAI HTTP API.';

/** Splits text into real (o200k) tokens, so the demo streams and counts exactly like an OpenAI model. */
export function splitIntoTokens(text: string): string[] {
  const { decodeGenerator, encode } = o200kTokenizer();
  return [...decodeGenerator(encode(text))];
}

/**
 * The demo's deterministic reply: a short greeting that quotes the last user message, or, when that
 * message asks for something "long", several paragraphs (handy for trying Stop).
 */
export function demoReply(messages: ChatMessage[]): string {
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  const prompt = lastUser?.content.trim() ?? '';
  if (/\blong\b/i.test(prompt)) {
    return Array.from({ length: 12 }, (_, index) => `${index + 1}. ${longParagraph}`).join('\n\n');
  }
  const quoted = prompt.length > 80 ? `${prompt.slice(0, 77)}...` : prompt;
  return quoted ? `You said: "${quoted}". ${shortReply}` : shortReply;
}
