import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { callOptions, collectParts, createOpenAiAdapter, userRequest } from './openai-test-kit.ts';

const multiByteDeltas = [{ content: 'héllo' }, { content: ' wörld' }, { content: ' 👋' }];
const multiByteParts = [
  { type: 'text-delta', text: 'héllo' },
  { type: 'text-delta', text: ' wörld' },
  { type: 'text-delta', text: ' 👋' },
  { type: 'finish', finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 3 } },
];

test('events split across TCP packets in the middle of a UTF-8 character are reassembled exactly', async (t) => {
  const server = await startFakeOpenAiServer({
    script: { deltas: multiByteDeltas, wire: { splitMidCharacter: true } },
  });
  t.after(() => server.close());

  const parts = await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(parts, multiByteParts);
  const text = parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');
  assert.equal(text, 'héllo wörld 👋');
});

test('keep-alive comment lines between events are ignored', async (t) => {
  const server = await startFakeOpenAiServer({
    script: { deltas: multiByteDeltas, wire: { keepAliveComments: true } },
  });
  t.after(() => server.close());

  const parts = await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(parts, multiByteParts);
});

test('CRLF line endings give the same parts as LF', async (t) => {
  const server = await startFakeOpenAiServer({ script: { deltas: multiByteDeltas, wire: { crlf: true } } });
  t.after(() => server.close());

  const parts = await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(parts, multiByteParts);
});

test('CRLF, keep-alive comments and mid-character splits together still give the exact text', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      deltas: multiByteDeltas,
      wire: { crlf: true, keepAliveComments: true, splitMidCharacter: true },
    },
  });
  t.after(() => server.close());

  const parts = await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(parts, multiByteParts);
});
