import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';

function sdkClient(baseURL: string): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL, maxRetries: 0 });
}

test('without stream the fake answers one chat.completion object holding the whole reply', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      deltas: [{ content: 'Hel' }, { content: 'lo!' }],
      usage: { promptTokens: 9, completionTokens: 2 },
    },
  });
  t.after(() => server.close());

  const completion = await sdkClient(server.baseUrl).chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Hi' }],
  });

  assert.equal(completion.object, 'chat.completion');
  assert.match(completion.id, /^chatcmpl-/);
  assert.equal(completion.model, 'gpt-4o-mini');
  assert.deepEqual(completion.choices, [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello!', refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'stop',
    },
  ]);
  assert.equal(completion.usage?.prompt_tokens, 9);
  assert.equal(completion.usage?.completion_tokens, 2);
  assert.equal(completion.usage?.total_tokens, 11);
});

test('without stream a tool-calling reply is one message with null content and the assembled tool calls', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      deltas: [
        { toolCalls: [{ index: 0, id: 'call_A', name: 'get_weather', arguments: '' }] },
        { toolCalls: [{ index: 0, arguments: '{"city":' }] },
        { toolCalls: [{ index: 0, arguments: '"Paris"}' }] },
      ],
    },
  });
  t.after(() => server.close());

  const completion = await sdkClient(server.baseUrl).chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Weather?' }],
  });

  const choice = completion.choices[0];
  assert.equal(choice?.finish_reason, 'tool_calls');
  assert.equal(choice?.message.content, null);
  assert.deepEqual(choice?.message.tool_calls, [
    { id: 'call_A', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
  ]);
});

test('streamed chunks are the exact shape OpenAI sends: role first, finish, the usage chunk, then [DONE]', async (t) => {
  const server = await startFakeOpenAiServer({
    script: { deltas: [{ content: 'Hi' }], usage: { promptTokens: 9, completionTokens: 1 } },
  });
  t.after(() => server.close());

  const response = await fetch(`${server.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [],
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  const events = (await response.text()).split('\n\n').filter(Boolean);

  assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(events.at(-1), 'data: [DONE]');
  const chunks = events.slice(0, -1).map((event) => JSON.parse(event.replace(/^data: /, '')));
  const envelope = {
    id: chunks[0].id,
    object: 'chat.completion.chunk',
    created: chunks[0].created,
    model: 'gpt-4o-mini',
    service_tier: 'default',
    system_fingerprint: 'fp_b376dfbbd5',
  };
  assert.deepEqual(
    chunks.map(({ obfuscation, ...chunk }) => chunk),
    [
      {
        ...envelope,
        choices: [
          {
            index: 0,
            delta: { role: 'assistant', content: '', refusal: null },
            logprobs: null,
            finish_reason: null,
          },
        ],
        usage: null,
      },
      {
        ...envelope,
        choices: [{ index: 0, delta: { content: 'Hi' }, logprobs: null, finish_reason: null }],
        usage: null,
      },
      { ...envelope, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null },
      {
        ...envelope,
        choices: [],
        usage: {
          prompt_tokens: 9,
          completion_tokens: 1,
          total_tokens: 10,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: {
            reasoning_tokens: 0,
            audio_tokens: 0,
            accepted_prediction_tokens: 0,
            rejected_prediction_tokens: 0,
          },
        },
      },
    ],
  );
});

test("an HTTP error carries OpenAI's error body and the Retry-After header", async (t) => {
  const error = { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' };
  const server = await startFakeOpenAiServer({
    script: { httpError: { status: 429, error, retryAfter: '3' } },
  });
  t.after(() => server.close());

  const response = await fetch(`${server.baseUrl}/chat/completions`, {
    method: 'POST',
    body: '{"stream":true}',
  });

  assert.equal(response.status, 429);
  assert.equal(response.headers.get('retry-after'), '3');
  assert.deepEqual(await response.json(), { error });
});

test("a route the fake does not serve answers with OpenAI's 404 body", async (t) => {
  const server = await startFakeOpenAiServer({ script: {} });
  t.after(() => server.close());

  const response = await fetch(`${server.baseUrl}/embeddings`, { method: 'POST', body: '{}' });

  assert.equal(response.status, 404);
  assert.deepEqual(await response.json(), {
    error: {
      message: 'Invalid URL (POST /v1/embeddings)',
      type: 'invalid_request_error',
      param: null,
      code: null,
    },
  });
});
