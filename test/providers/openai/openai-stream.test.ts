import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { callOptions, collectParts, createOpenAiAdapter, userRequest } from './openai-test-kit.ts';

test('a text reply streams as text deltas and ends with one finish carrying the usage', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      deltas: [{ content: 'Hel' }, { content: 'lo' }, { content: '!' }],
      usage: { promptTokens: 9, completionTokens: 3 },
    },
  });
  t.after(() => server.close());
  const adapter = createOpenAiAdapter(server.baseUrl);

  const parts = await collectParts(await adapter.stream(userRequest(), callOptions()));

  assert.deepEqual(parts, [
    { type: 'text-delta', text: 'Hel' },
    { type: 'text-delta', text: 'lo' },
    { type: 'text-delta', text: '!' },
    { type: 'finish', finishReason: 'stop', usage: { inputTokens: 9, outputTokens: 3 } },
  ]);
});

test('reasoning sent as reasoning_content streams as reasoning deltas before the answer', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      deltas: [
        { reasoning: 'The user ', field: 'reasoning_content' },
        { reasoning: 'greets me.', field: 'reasoning_content' },
        { content: 'Hello!' },
      ],
      usage: { promptTokens: 5, completionTokens: 8, reasoningTokens: 6 },
    },
  });
  t.after(() => server.close());

  const parts = await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(parts, [
    { type: 'reasoning-delta', text: 'The user ' },
    { type: 'reasoning-delta', text: 'greets me.' },
    { type: 'text-delta', text: 'Hello!' },
    { type: 'finish', finishReason: 'stop', usage: { inputTokens: 5, outputTokens: 8 } },
  ]);
});

test('reasoning sent in the reasoning field (OpenRouter, Ollama) streams as reasoning deltas too', async (t) => {
  const server = await startFakeOpenAiServer({
    script: { deltas: [{ reasoning: 'Short thought.', field: 'reasoning' }, { content: 'Answer.' }] },
  });
  t.after(() => server.close());

  const parts = await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(parts.slice(0, 2), [
    { type: 'reasoning-delta', text: 'Short thought.' },
    { type: 'text-delta', text: 'Answer.' },
  ]);
});

test('a tool call streamed in fragments becomes tool-call deltas, the first with its id and name', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      deltas: [
        { toolCalls: [{ index: 0, id: 'call_Vx1', name: 'get_weather', arguments: '' }] },
        { toolCalls: [{ index: 0, arguments: '{"ci' }] },
        { toolCalls: [{ index: 0, arguments: 'ty":"Par' }] },
        { toolCalls: [{ index: 0, arguments: 'is"}' }] },
      ],
      usage: { promptTokens: 60, completionTokens: 15 },
    },
  });
  t.after(() => server.close());

  const parts = await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(parts, [
    { type: 'tool-call-delta', index: 0, id: 'call_Vx1', name: 'get_weather', argumentsDelta: '' },
    { type: 'tool-call-delta', index: 0, argumentsDelta: '{"ci' },
    { type: 'tool-call-delta', index: 0, argumentsDelta: 'ty":"Par' },
    { type: 'tool-call-delta', index: 0, argumentsDelta: 'is"}' },
    { type: 'finish', finishReason: 'tool_calls', usage: { inputTokens: 60, outputTokens: 15 } },
  ]);
});

test('two parallel tool calls keep their own index on every fragment', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      deltas: [
        { toolCalls: [{ index: 0, id: 'call_A', name: 'get_weather', arguments: '' }] },
        { toolCalls: [{ index: 0, arguments: '{"city":"Paris"}' }] },
        { toolCalls: [{ index: 1, id: 'call_B', name: 'get_time', arguments: '' }] },
        { toolCalls: [{ index: 1, arguments: '{"zone":' }] },
        { toolCalls: [{ index: 1, arguments: '"CET"}' }] },
      ],
      usage: { promptTokens: 70, completionTokens: 30 },
    },
  });
  t.after(() => server.close());

  const parts = await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(parts, [
    { type: 'tool-call-delta', index: 0, id: 'call_A', name: 'get_weather', argumentsDelta: '' },
    { type: 'tool-call-delta', index: 0, argumentsDelta: '{"city":"Paris"}' },
    { type: 'tool-call-delta', index: 1, id: 'call_B', name: 'get_time', argumentsDelta: '' },
    { type: 'tool-call-delta', index: 1, argumentsDelta: '{"zone":' },
    { type: 'tool-call-delta', index: 1, argumentsDelta: '"CET"}' },
    { type: 'finish', finishReason: 'tool_calls', usage: { inputTokens: 70, outputTokens: 30 } },
  ]);
});

test('a reply cut by the token limit finishes with length', async (t) => {
  const server = await startFakeOpenAiServer({
    script: { deltas: [{ content: 'Once upon' }], ending: { type: 'finish', finishReason: 'length' } },
  });
  t.after(() => server.close());

  const parts = await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(parts.at(-1), {
    type: 'finish',
    finishReason: 'length',
    usage: { inputTokens: 12, outputTokens: 1 },
  });
});

test('a reply stopped by the content filter finishes with content_filter', async (t) => {
  const server = await startFakeOpenAiServer({
    script: { deltas: [{ content: 'I' }], ending: { type: 'finish', finishReason: 'content_filter' } },
  });
  t.after(() => server.close());

  const parts = await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(parts, [
    { type: 'text-delta', text: 'I' },
    { type: 'finish', finishReason: 'content_filter', usage: { inputTokens: 12, outputTokens: 1 } },
  ]);
});

test('an empty reply still ends with one finish', async (t) => {
  const server = await startFakeOpenAiServer({
    script: { deltas: [], usage: { promptTokens: 4, completionTokens: 0 } },
  });
  t.after(() => server.close());

  const parts = await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(parts, [
    { type: 'finish', finishReason: 'stop', usage: { inputTokens: 4, outputTokens: 0 } },
  ]);
});
