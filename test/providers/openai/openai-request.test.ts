import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openAiProvider } from '../../../providers/openai/index.ts';
import type { ProviderRequest } from '../../../src/spec/chat-request.ts';
import { startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { callOptions, collectParts, createOpenAiAdapter, userRequest } from './openai-test-kit.ts';

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'The current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

const toolConversation: ProviderRequest = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Weather in Paris?' },
    {
      role: 'assistant',
      content: '',
      toolCalls: [
        { id: 'call_A', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    },
    { role: 'tool', content: '{"celsius":21}', toolCallId: 'call_A' },
  ],
  maxTokens: 256,
  temperature: 0.2,
  topP: 0.9,
  stop: ['\n\n'],
  tools: [weatherTool],
};

test('the request body carries the model, the messages with tool calls and results, and the sampling parameters', async (t) => {
  const server = await startFakeOpenAiServer({ script: { deltas: [{ content: 'Sunny, 21°C.' }] } });
  t.after(() => server.close());

  await collectParts(await createOpenAiAdapter(server.baseUrl).stream(toolConversation, callOptions()));

  assert.deepEqual(server.chatRequests()[0]?.json, {
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_A',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', content: '{"celsius":21}', tool_call_id: 'call_A' },
    ],
    stream: true,
    stream_options: { include_usage: true },
    max_completion_tokens: 256,
    temperature: 0.2,
    top_p: 0.9,
    stop: ['\n\n'],
    tools: [weatherTool],
  });
});

test('parameters the client did not set are left out of the body', async (t) => {
  const server = await startFakeOpenAiServer({ script: { deltas: [{ content: 'Hi' }] } });
  t.after(() => server.close());

  await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(
      { ...userRequest(), stop: [], tools: [] },
      callOptions(),
    ),
  );

  assert.deepEqual(server.chatRequests()[0]?.json, {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Hi' }],
    stream: true,
    stream_options: { include_usage: true },
  });
});

test("Sluice's request id goes upstream as x-request-id, with the key as a bearer token", async (t) => {
  const server = await startFakeOpenAiServer({ script: { deltas: [{ content: 'Hi' }] } });
  t.after(() => server.close());

  await collectParts(await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()));

  const headers = server.chatRequests()[0]?.headers;
  assert.equal(headers?.['x-request-id'], 'req_sluice_test_1');
  assert.equal(headers?.authorization, 'Bearer sk-test-key');
  assert.equal(headers?.['openai-organization'], undefined);
});

test('a configured organization is sent as the OpenAI-Organization header', async (t) => {
  const server = await startFakeOpenAiServer({ script: { deltas: [{ content: 'Hi' }] } });
  t.after(() => server.close());

  const adapter = createOpenAiAdapter(server.baseUrl, { organization: 'org-sluice' });
  await collectParts(await adapter.stream(userRequest(), callOptions()));

  assert.equal(server.chatRequests()[0]?.headers['openai-organization'], 'org-sluice');
});

test('a tool message without the id of its call is refused as a bad request before anything is sent', async (t) => {
  const server = await startFakeOpenAiServer({ script: { deltas: [{ content: 'Hi' }] } });
  t.after(() => server.close());
  const request: ProviderRequest = { model: 'gpt-4o-mini', messages: [{ role: 'tool', content: '{}' }] };

  await assert.rejects(createOpenAiAdapter(server.baseUrl).stream(request, callOptions()), {
    code: 'bad_request',
  });
  assert.equal(server.chatRequests().length, 0);
});

test('the config needs an api_key, fills in the timeout and rejects unknown fields', () => {
  const schema = openAiProvider.configSchema;

  assert.deepEqual(schema.parse({ type: 'openai', api_key: 'sk-x' }), {
    type: 'openai',
    api_key: 'sk-x',
    timeout_ms: 600_000,
  });
  assert.equal(schema.safeParse({ type: 'openai' }).success, false);
  assert.equal(schema.safeParse({ type: 'openai', api_key: 'sk-x', max_retries: 3 }).success, false);
  assert.equal(schema.safeParse({ type: 'openai', api_key: 'sk-x', base_url: 'not a url' }).success, false);
});

test('the OPENAI_* environment variables the SDK would read on its own are ignored: config is the only source', async (t) => {
  const server = await startFakeOpenAiServer({ script: { deltas: [{ content: 'Hi' }] } });
  t.after(() => server.close());
  const saved = { ...process.env };
  t.after(() => {
    process.env = saved;
  });
  process.env.OPENAI_ORG_ID = 'org-from-env';
  process.env.OPENAI_PROJECT_ID = 'proj-from-env';

  await collectParts(await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()));

  const headers = server.chatRequests()[0]?.headers;
  assert.equal(headers?.['openai-organization'], undefined);
  assert.equal(headers?.['openai-project'], undefined);
});
