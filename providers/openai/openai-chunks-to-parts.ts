import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { FinishReason, StreamPart } from '../../src/spec/stream-part.ts';
import { convertOpenAiUsage } from './convert-openai-usage.ts';
import { mapOpenAiFinishReason } from './map-openai-finish-reason.ts';

/** The delta fields that servers other than OpenAI add for a reasoning model's thinking. */
interface ReasoningDeltaFields {
  /** vLLM, DeepSeek and SGLang. */
  reasoning_content?: string | null;
  /** OpenRouter, Ollama and newer vLLM. */
  reasoning?: string | null;
}

function deltaToParts(
  delta: ChatCompletionChunk.Choice.Delta & ReasoningDeltaFields,
  out: StreamPart[],
): void {
  // Only one field is read, so a server that sends both (one as an alias) does not double the text.
  const reasoning = delta.reasoning_content ?? delta.reasoning;
  if (reasoning) out.push({ type: 'reasoning-delta', text: reasoning });
  if (delta.content) out.push({ type: 'text-delta', text: delta.content });
  // Most chunks carry no tool calls: no empty array and iterator for them.
  if (!delta.tool_calls) return;
  for (const toolCall of delta.tool_calls) {
    out.push({
      type: 'tool-call-delta',
      index: toolCall.index,
      ...(toolCall.id ? { id: toolCall.id } : {}),
      ...(toolCall.function?.name ? { name: toolCall.function.name } : {}),
      argumentsDelta: toolCall.function?.arguments ?? '',
    });
  }
}

/**
 * Converts Chat Completions chunks to parts, synchronously, one chunk at a time (the relay's hot
 * path). The finish is held until the stream ends because the usage arrives after it, in a chunk of
 * its own with `choices: []`; a stream without a `finish_reason` gets no `finish`.
 */
export function createOpenAiChunkConverter() {
  let finishReason: FinishReason | undefined;
  let usage: CompletionUsage | undefined;
  return {
    /** Appends the parts of one chunk to `out`. */
    add(chunk: ChatCompletionChunk, out: StreamPart[]): void {
      // Some servers put the usage on the finish chunk or on every chunk: the last one is the total.
      if (chunk.usage) usage = chunk.usage;
      // Sluice never asks for `n > 1`, so the first choice is the only one.
      const choice = chunk.choices[0];
      if (!choice) return;
      deltaToParts(choice.delta, out);
      if (choice.finish_reason) finishReason = mapOpenAiFinishReason(choice.finish_reason);
    },
    /** The one `finish` part, once the stream has ended; undefined when no finish reason came. */
    finish(): StreamPart | undefined {
      return finishReason === undefined
        ? undefined
        : { type: 'finish', finishReason, usage: convertOpenAiUsage(usage) };
    },
  };
}
