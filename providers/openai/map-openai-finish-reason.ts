import type { FinishReason } from '../../src/spec/stream-part.ts';

/** Maps the `finish_reason` of an OpenAI chunk to the protocol's finish reason. */
export function mapOpenAiFinishReason(reason: string): FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      // Compatible servers invent their own reasons (`eos`, `end_turn`...) for a reply that simply ended.
      return 'stop';
  }
}
