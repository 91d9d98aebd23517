import type { FinishReason } from '../../src/spec/stream-part.ts';

const finishReasons: Record<string, FinishReason> = {
  stop: 'stop',
  end_turn: 'stop',
  stop_sequence: 'stop',
  eos: 'stop',
  length: 'length',
  max_tokens: 'length',
  max_output_tokens: 'length',
  tool_calls: 'tool_calls',
  tool_use: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
  safety: 'content_filter',
  recitation: 'content_filter',
};

/**
 * Maps the finish reason a generic upstream names (OpenAI, Anthropic and Gemini spellings, any case)
 * to the protocol's. Any other reason still means the upstream ended the answer on its own, so it is `stop`.
 */
export function mapFinishReason(reason: string): FinishReason {
  return finishReasons[reason.toLowerCase()] ?? 'stop';
}
