import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { createOpenAiChunkConverter } from '../../../providers/openai/openai-chunks-to-parts.ts';
import type { StreamPart } from '../../../src/spec/stream-part.ts';

function chunk(
  choices: ChatCompletionChunk['choices'],
  usage?: ChatCompletionChunk['usage'],
): ChatCompletionChunk {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'deepseek-chat',
    choices,
    usage,
  };
}

/** Every part a whole stream of chunks converts to, the held finish last. */
function convert(chunks: ChatCompletionChunk[]): StreamPart[] {
  const converter = createOpenAiChunkConverter();
  const parts: StreamPart[] = [];
  for (const each of chunks) converter.add(each, parts);
  const finish = converter.finish();
  if (finish) parts.push(finish);
  return parts;
}

test('usage sent on the finish chunk itself (DeepSeek) is reported in the finish', () => {
  const parts = convert([
    chunk([{ index: 0, delta: { content: 'Hi' }, finish_reason: null }]),
    chunk([{ index: 0, delta: { content: '' }, finish_reason: 'stop' }], {
      prompt_tokens: 4,
      completion_tokens: 1,
      total_tokens: 5,
    }),
  ]);

  assert.deepEqual(parts, [
    { type: 'text-delta', text: 'Hi' },
    { type: 'finish', finishReason: 'stop', usage: { inputTokens: 4, outputTokens: 1 } },
  ]);
});

test('a delta carrying both reasoning_content and reasoning yields its thinking once', () => {
  const delta = { reasoning_content: 'Hmm.', reasoning: 'Hmm.' } as ChatCompletionChunk.Choice.Delta;
  const parts = convert([
    chunk([{ index: 0, delta, finish_reason: null }]),
    chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
  ]);

  assert.deepEqual(parts, [
    { type: 'reasoning-delta', text: 'Hmm.' },
    { type: 'finish', finishReason: 'stop', usage: { inputTokens: undefined, outputTokens: undefined } },
  ]);
});

test('a stream without a finish_reason yields no finish', () => {
  const parts = convert([chunk([{ index: 0, delta: { content: 'Hi' }, finish_reason: null }])]);

  assert.deepEqual(parts, [{ type: 'text-delta', text: 'Hi' }]);
});
