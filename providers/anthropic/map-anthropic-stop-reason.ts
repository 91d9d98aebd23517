import type { StopReason } from '@anthropic-ai/sdk/resources/messages';
import type { FinishReason } from '../../src/spec/stream-part.ts';

/** Maps Anthropic's `stop_reason` to the protocol's finish reason. */
export function mapAnthropicStopReason(stopReason: StopReason | string | null | undefined): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, and pause_turn (a long server-tool turn Anthropic paused; the reply so far is whole).
      return 'stop';
  }
}
