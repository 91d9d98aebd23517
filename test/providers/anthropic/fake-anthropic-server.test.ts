import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import {
  messageDelta,
  messageStart,
  messageStop,
  startFakeAnthropicServer,
  textBlock,
  thinkingBlock,
  toolUseBlock,
} from '../../fakes/fake-anthropic-server.ts';

async function setUp(t: TestContext) {
  const fake = await startFakeAnthropicServer();
  t.after(() => fake.close());
  return fake;
}

function post(url: string, headers: Record<string, string>, body: unknown = { stream: true }) {
  return fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

test('the fake answers a non-streaming request with the whole message, as the SDK reads it', async (t) => {
  const fake = await setUp(t);
  fake.reply({
    kind: 'stream',
    events: [
      messageStart({ inputTokens: 12 }),
      ...thinkingBlock(0, ['Hm', 'm.'], 'sig-1'),
      ...textBlock(1, ['Hel', 'lo']),
      ...toolUseBlock(2, { id: 'toolu_1', name: 'get_weather', jsonPieces: ['{"city":', '"Oslo"}'] }),
      messageDelta({ stopReason: 'tool_use', outputTokens: 9 }),
      messageStop(),
    ],
  });
  const client = new Anthropic({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 0 });
  const message = await client.messages.create({
    model: 'claude-sonnet-5-5',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'Hi' }],
  });
  assert.deepEqual(message.content, [
    { type: 'thinking', thinking: 'Hmm.', signature: 'sig-1' },
    { type: 'text', text: 'Hello' },
    { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
  ]);
  assert.equal(message.stop_reason, 'tool_use');
  assert.equal(message.usage.input_tokens, 12);
  assert.equal(message.usage.output_tokens, 9);
});

test('the fake refuses a request without the right key with 401 and an authentication_error', async (t) => {
  const fake = await setUp(t);
  const attempts: Array<Record<string, string>> = [
    { 'anthropic-version': '2026-10-21' },
    { 'x-api-key': 'wrong', 'anthropic-version': '2026-10-21' },
  ];
  for (const headers of attempts) {
    const response = await post(fake.url, headers);
    assert.equal(response.status, 401);
    const body = (await response.json()) as { type: string; error: { type: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'authentication_error');
  }
});

test('the fake takes the key as x-api-key as well as a Bearer token, and requires anthropic-version', async (t) => {
  const fake = await setUp(t);
  const withKey = await post(fake.url, { 'x-api-key': fake.apiKey, 'anthropic-version': '2023-06-01' });
  assert.equal(withKey.status, 200);
  assert.equal(withKey.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  await withKey.text();
  const withoutVersion = await post(fake.url, { authorization: `Bearer ${fake.apiKey}` });
  assert.equal(withoutVersion.status, 400);
  await withoutVersion.text();
});

test('the fake streams events in the exact SSE framing Anthropic uses', async (t) => {
  const fake = await setUp(t);
  fake.reply({
    kind: 'stream',
    events: [messageStart({ inputTokens: 3 }), ...textBlock(0, ['Hi']), messageStop()],
  });
  const response = await post(fake.url, { 'x-api-key': fake.apiKey, 'anthropic-version': '2026-10-21' });
  const text = await response.text();
  assert.match(text, /^event: message_start\ndata: \{"type":"message_start","message":\{"id":"msg_/);
  assert.ok(
    text.includes(
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n',
    ),
  );
  assert.ok(text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'));
});
