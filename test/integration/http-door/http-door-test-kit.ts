import assert from 'node:assert/strict';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { hashApiKey } from '../../../src/auth/hash-api-key.ts';
import type { FakeOpenAiScript } from '../../fakes/fake-openai-server.ts';

/** The API key the tests' SDK clients present to Sluice. */
export const sluiceApiKey = 'sk-sluice-http-door-test-key-0001';

/** An `auth:` block that knows `sluiceApiKey` as user `tester` on `plan`. */
export function authWithKey(plan = 'default') {
  return { api_keys: [{ hash: hashApiKey(sluiceApiKey), user: 'tester', plan }] };
}

/** The official SDK pointed at `baseUrl` (an API root ending in `/v1`), without retries. */
export function sdkClient(baseUrl: string, apiKey = 'sk-test', options: Partial<OpenAI['_options']> = {}) {
  // `null` keeps the SDK from reading OPENAI_ORG_ID and OPENAI_PROJECT_ID from the environment.
  return new OpenAI({
    baseURL: baseUrl,
    apiKey,
    maxRetries: 0,
    organization: null,
    project: null,
    ...options,
  });
}

/** A user turn asking for one of the scripted replies of `scriptFor`. */
export function ask(reply: keyof typeof scripts) {
  return [{ role: 'user' as const, content: reply }];
}

const scripts = {
  text: { deltas: [{ content: 'Hel' }, { content: 'lo, ' }, { content: 'wörld!' }] },
  reasoning: {
    deltas: [{ reasoning: 'The user ' }, { reasoning: 'greets me.' }, { content: 'Hi there.' }],
    usage: { promptTokens: 20, completionTokens: 9, reasoningTokens: 6 },
  },
  tool: {
    deltas: [
      { toolCalls: [{ index: 0, id: 'call_weather_1', name: 'get_weather', arguments: '' }] },
      { toolCalls: [{ index: 0, arguments: '{"city":' }] },
      { toolCalls: [{ index: 0, arguments: '"Paris"}' }] },
      { toolCalls: [{ index: 1, id: 'call_time_2', name: 'get_time', arguments: '{}' }] },
    ],
  },
  'text then tool': {
    deltas: [
      { content: 'Let me check.' },
      { toolCalls: [{ index: 0, id: 'call_weather_3', name: 'get_weather', arguments: '{"city":"Oslo"}' }] },
    ],
  },
  long: {
    deltas: [{ content: 'cut ' }, { content: 'short' }],
    ending: { type: 'finish', finishReason: 'length' },
  },
} satisfies Record<string, FakeOpenAiScript>;

/** The fake upstream's reply to a request, chosen by the text of its last message. */
export function scriptFor(body: unknown): FakeOpenAiScript {
  const messages = (body as { messages?: Array<{ content?: unknown }> }).messages ?? [];
  const key = String(messages.at(-1)?.content ?? '');
  return (scripts as Record<string, FakeOpenAiScript>)[key] ?? scripts.text;
}

/** Tools a request offers, in the SDK's shape. */
export const weatherTools: OpenAI.Chat.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'The weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
];

/**
 * What a stream says, chunk by chunk, without its framing: the text, reasoning, tool-call fragments and
 * finish reason of each chunk that carries any. Servers legitimately differ in where they cut (OpenAI
 * puts a reply's first tool call in its role chunk; Sluice sends the role before any output).
 */
export function streamedPieces(chunks: ChatCompletionChunk[]): Array<Record<string, unknown>> {
  const pieces: Array<Record<string, unknown>> = [];
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      const delta = choice.delta as ChatCompletionChunk.Choice.Delta & { reasoning_content?: string | null };
      const piece: Record<string, unknown> = {};
      if (delta.content) piece.content = delta.content;
      if (delta.reasoning_content) piece.reasoning_content = delta.reasoning_content;
      if (delta.tool_calls?.length) piece.tool_calls = delta.tool_calls;
      if (choice.finish_reason) piece.finish_reason = choice.finish_reason;
      if (Object.keys(piece).length > 0) pieces.push(piece);
    }
  }
  return pieces;
}

/** Reads a whole SDK stream. */
export async function readChunks(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** Checks the fields that differ between servers by their shape: ids, times, fingerprints. */
export function assertChunkFraming(chunks: ChatCompletionChunk[], model: string): void {
  assert.ok(chunks.length > 0);
  const first = chunks[0]!;
  assert.match(first.id, /^chatcmpl-\w+$/);
  assert.ok(Number.isInteger(first.created) && first.created > 1_700_000_000);
  for (const chunk of chunks) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    assert.equal(chunk.id, first.id, 'every chunk of a completion has its id');
    assert.equal(chunk.created, first.created);
    assert.equal(chunk.model, model);
    assert.ok(chunk.system_fingerprint === null || typeof chunk.system_fingerprint === 'string');
    for (const choice of chunk.choices) {
      assert.equal(choice.index, 0);
      assert.equal(choice.logprobs, null);
    }
  }
  assert.equal(first.choices[0]?.delta.role, 'assistant', 'the first chunk names the role');
}

/** The usage figures every OpenAI-compatible server reports. */
export function usageFigures(usage: OpenAI.CompletionUsage | null | undefined) {
  assert.ok(usage, 'usage is present');
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.total_tokens,
  };
}
