import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openAiCompatibleProvider } from '../../../providers/openai-compatible/index.ts';
import type { ProviderAdapter } from '../../../src/spec/provider-adapter.ts';
import { startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { callOptions, collectParts, userRequest } from '../openai/openai-test-kit.ts';

function createCompatibleAdapter(baseUrl: string, config: Record<string, unknown> = {}): ProviderAdapter {
  const parsed = openAiCompatibleProvider.configSchema.parse({
    type: 'openai-compatible',
    base_url: baseUrl,
    ...config,
  });
  return openAiCompatibleProvider.create(parsed, { name: 'local' });
}

test('a keyless server streams the reply and sees no Authorization header at all', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      deltas: [{ content: 'Hi' }, { content: ' there' }],
      usage: { promptTokens: 7, completionTokens: 2 },
    },
  });
  t.after(() => server.close());

  const parts = await collectParts(
    await createCompatibleAdapter(server.baseUrl).stream(userRequest('Hi', 'llama3.2'), callOptions()),
  );

  assert.deepEqual(parts, [
    { type: 'text-delta', text: 'Hi' },
    { type: 'text-delta', text: ' there' },
    { type: 'finish', finishReason: 'stop', usage: { inputTokens: 7, outputTokens: 2 } },
  ]);
  const headers = server.chatRequests()[0]?.headers;
  assert.equal(headers?.authorization, undefined);
  assert.equal(headers?.['x-request-id'], 'req_sluice_test_1');
});

test('a configured api_key is sent as a bearer token', async (t) => {
  const server = await startFakeOpenAiServer({ script: { deltas: [{ content: 'Hi' }] } });
  t.after(() => server.close());

  await collectParts(
    await createCompatibleAdapter(server.baseUrl, { api_key: 'gsk_test' }).stream(
      userRequest(),
      callOptions(),
    ),
  );

  assert.equal(server.chatRequests()[0]?.headers.authorization, 'Bearer gsk_test');
});

test('configured extra headers are sent with every request, an own Authorization scheme included', async (t) => {
  const server = await startFakeOpenAiServer({ script: { deltas: [{ content: 'Hi' }] } });
  t.after(() => server.close());
  const adapter = createCompatibleAdapter(server.baseUrl, {
    headers: { 'X-Tenant': 'team-a', Authorization: 'Basic dXNlcjpwYXNz' },
  });

  await collectParts(await adapter.stream(userRequest(), callOptions()));

  const headers = server.chatRequests()[0]?.headers;
  assert.equal(headers?.['x-tenant'], 'team-a');
  assert.equal(headers?.authorization, 'Basic dXNlcjpwYXNz');
});

test('the token limit is sent as max_tokens, the field compatible servers know', async (t) => {
  const server = await startFakeOpenAiServer({ script: { deltas: [{ content: 'Hi' }] } });
  t.after(() => server.close());

  await collectParts(
    await createCompatibleAdapter(server.baseUrl).stream(
      { ...userRequest('Hi', 'qwen3'), maxTokens: 64 },
      callOptions(),
    ),
  );

  assert.deepEqual(server.chatRequests()[0]?.json, {
    model: 'qwen3',
    messages: [{ role: 'user', content: 'Hi' }],
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: 64,
  });
});

test('with include_usage off, stream_options is left out and the finish reports usage as unknown', async (t) => {
  const server = await startFakeOpenAiServer({ script: { deltas: [{ content: 'Hi' }] } });
  t.after(() => server.close());
  const adapter = createCompatibleAdapter(server.baseUrl, { include_usage: false });

  const parts = await collectParts(await adapter.stream(userRequest(), callOptions()));

  assert.deepEqual(parts, [
    { type: 'text-delta', text: 'Hi' },
    { type: 'finish', finishReason: 'stop', usage: { inputTokens: undefined, outputTokens: undefined } },
  ]);
  const body = server.chatRequests()[0]?.json as Record<string, unknown>;
  assert.equal('stream_options' in body, false);
});

test('a reasoning server (DeepSeek, vLLM) streams its thinking as reasoning deltas', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      deltas: [{ reasoning: 'Hmm.' }, { content: 'Yes.' }],
      usage: { promptTokens: 3, completionTokens: 2 },
    },
  });
  t.after(() => server.close());

  const parts = await collectParts(
    await createCompatibleAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(parts, [
    { type: 'reasoning-delta', text: 'Hmm.' },
    { type: 'text-delta', text: 'Yes.' },
    { type: 'finish', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 2 } },
  ]);
});

test('an HTTP 503 before output rejects with a retryable upstream_error', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      httpError: {
        status: 503,
        error: { message: 'model is loading', type: 'server_error', param: null, code: null },
      },
    },
  });
  t.after(() => server.close());

  await assert.rejects(createCompatibleAdapter(server.baseUrl).stream(userRequest(), callOptions()), {
    code: 'upstream_error',
    retryable: true,
    upstreamStatus: 503,
  });
});

test('the config needs a base_url, defaults include_usage to true and rejects unknown fields', () => {
  const schema = openAiCompatibleProvider.configSchema;

  assert.deepEqual(schema.parse({ type: 'openai-compatible', base_url: 'http://localhost:11434/v1' }), {
    type: 'openai-compatible',
    base_url: 'http://localhost:11434/v1',
    include_usage: true,
    timeout_ms: 600_000,
  });
  assert.equal(schema.safeParse({ type: 'openai-compatible' }).success, false);
  assert.equal(
    schema.safeParse({ type: 'openai-compatible', base_url: 'http://x/v1', model: 'm' }).success,
    false,
  );
});
