import type {
  Usage as AnthropicUsage,
  MessageDeltaUsage,
  RawMessageStreamEvent,
  StopReason,
} from '@anthropic-ai/sdk/resources/messages';
import type { StreamPart } from '../../src/spec/stream-part.ts';
import type { Usage } from '../../src/spec/usage.ts';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.ts';

/** Anthropic counts cached input apart from `input_tokens`; the protocol's input is all three together. */
function totalInputTokens(usage: AnthropicUsage | MessageDeltaUsage): number | undefined {
  if (typeof usage.input_tokens !== 'number') return undefined;
  return usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
}

/** Turns one stream's events into parts, keeping what later events need (usage, stop reason, tool numbers). */
export interface AnthropicEventConverter {
  /** Queues on `parts` what `event` carries; true for `message_stop`, which ends the stream. */
  add(event: RawMessageStreamEvent, parts: StreamPart[]): boolean;
}

/**
 * Translates Anthropic's Messages stream events into stream parts, with one `finish` for
 * `message_stop`. Tool calls are numbered among tool calls only, from 0, whatever their block index.
 * `ping` and `error` events are the reader's to handle (see readAnthropicEventStream).
 */
export function createAnthropicEventConverter(): AnthropicEventConverter {
  const usage: Usage = { inputTokens: undefined, outputTokens: undefined };
  const toolIndexOfBlock = new Map<number, number>();
  let stopReason: StopReason | null = null;
  return {
    add(event, parts) {
      switch (event.type) {
        case 'message_start':
          usage.inputTokens = totalInputTokens(event.message.usage);
          break;
        case 'content_block_start': {
          const block = event.content_block;
          if (block.type === 'tool_use') {
            const index = toolIndexOfBlock.size;
            toolIndexOfBlock.set(event.index, index);
            parts.push({
              type: 'tool-call-delta',
              index,
              id: block.id,
              name: block.name,
              argumentsDelta: '',
            });
          } else if (block.type === 'text' && block.text !== '') {
            parts.push({ type: 'text-delta', text: block.text });
          } else if (block.type === 'thinking' && block.thinking !== '') {
            parts.push({ type: 'reasoning-delta', text: block.thinking });
          }
          break;
        }
        case 'content_block_delta': {
          const delta = event.delta;
          const toolIndex = toolIndexOfBlock.get(event.index);
          if (delta.type === 'text_delta') parts.push({ type: 'text-delta', text: delta.text });
          else if (delta.type === 'thinking_delta')
            parts.push({ type: 'reasoning-delta', text: delta.thinking });
          else if (delta.type === 'input_json_delta' && toolIndex !== undefined) {
            parts.push({ type: 'tool-call-delta', index: toolIndex, argumentsDelta: delta.partial_json });
          }
          break;
        }
        case 'message_delta':
          stopReason = event.delta.stop_reason;
          usage.outputTokens = event.usage.output_tokens;
          // Newer API versions repeat the cumulative input count here; when present it is the final one.
          usage.inputTokens = totalInputTokens(event.usage) ?? usage.inputTokens;
          break;
        case 'message_stop':
          parts.push({ type: 'finish', finishReason: mapAnthropicStopReason(stopReason), usage });
          return true;
        default:
          // content_block_stop, signature and citation deltas, and event types newer than this adapter.
          break;
      }
      return false;
    },
  };
}
