import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, type TestContext, test } from 'node:test';
import { pino } from 'pino';
import { anthropicProvider } from '../../../providers/anthropic/index.ts';
import { GatewayError } from '../../../src/errors/gateway-error.ts';
import type { ProviderRequest } from '../../../src/spec/chat-request.ts';
import type { ProviderCallOptions } from '../../../src/spec/provider-adapter.ts';
import type { StreamPart } from '../../../src/spec/stream-part.ts';
import {
  errorEvent,
  type FakeAnthropicReply,
  messageDelta,
  messageStart,
  messageStop,
  ping,
  startFakeAnthropicServer,
  textBlock,
  textReply,
  thinkingBlock,
  toolUseBlock,
} from '../../fakes/fake-anthropic-server.ts';

const request: ProviderRequest = { model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'Hi' }] };

async function setUp(t: TestContext, config: Record<string, unknown> = {}) {
  const fake = await startFakeAnthropicServer();
  t.after(() => fake.close());
  const parsed = anthropicProvider.configSchema.parse({
    type: 'anthropic',
    api_key: fake.apiKey,
    base_url: fake.url,
    ...config,
  });
  return { fake, adapter: anthropicProvider.create(parsed, { name: 'anthropic' }) };
}

function captureLog() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

function callOptions(overrides: Partial<ProviderCallOptions> = {}): ProviderCallOptions {
  return {
    signal: new AbortController().signal,
    log: captureLog().log,
    requestId: 'req-test-1',
    ...overrides,
  };
}

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const collected: StreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

/** Asserts that a promise rejects with a GatewayError, and returns the error for closer checks. */
async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof GatewayError, `expected a GatewayError, got ${String(error)}`);
  return error;
}

const helloWorld = 'héllo wörld 👋';
const helloWorldPieces = ['hé', 'llo w', 'örld ', '👋'];

describe('anthropic provider: streaming replies', () => {
  test('streams a text reply as text deltas and one finish with usage', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({ kind: 'stream', events: textReply(['Hel', 'lo!'], { inputTokens: 9, outputTokens: 2 }) });
    const parts = await collect(await adapter.stream(request, callOptions()));
    assert.deepEqual(parts, [
      { type: 'text-delta', text: 'Hel' },
      { type: 'text-delta', text: 'lo!' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 9, outputTokens: 2 } },
    ]);
  });

  test('counts cache writes and cache reads as input tokens', async (t) => {
    const { fake, adapter } = await setUp(t);
    const [, ...rest] = textReply(['Hi'], { outputTokens: 3 });
    const start = messageStart({
      inputTokens: 10,
      cacheCreationInputTokens: 200,
      cacheReadInputTokens: 3000,
    });
    fake.reply({ kind: 'stream', events: [start, ...rest] });
    const parts = await collect(await adapter.stream(request, callOptions()));
    assert.deepEqual(parts.at(-1), {
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: 3210, outputTokens: 3 },
    });
  });

  test('takes the final input count from message_delta when the API repeats it there', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({
      kind: 'stream',
      events: [
        messageStart({ inputTokens: 10 }),
        ...textBlock(0, ['Hi']),
        messageDelta({ inputTokens: 12, outputTokens: 4 }),
        messageStop(),
      ],
    });
    const parts = await collect(await adapter.stream(request, callOptions()));
    assert.deepEqual(parts.at(-1), {
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: 12, outputTokens: 4 },
    });
  });

  test('leaves output tokens undefined when the stream never reports them', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({
      kind: 'stream',
      events: [messageStart({ inputTokens: 5 }), ...textBlock(0, ['Hi']), messageStop()],
    });
    const parts = await collect(await adapter.stream(request, callOptions()));
    assert.deepEqual(parts.at(-1), {
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: 5, outputTokens: undefined },
    });
  });

  test('turns thinking into reasoning deltas, and leaves the signature out', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({
      kind: 'stream',
      events: [
        messageStart({ inputTokens: 30 }),
        ...thinkingBlock(0, ['Let me ', 'think.']),
        ...textBlock(1, ['Forty-two.']),
        messageDelta({ outputTokens: 20 }),
        messageStop(),
      ],
    });
    const parts = await collect(await adapter.stream(request, callOptions()));
    assert.deepEqual(parts, [
      { type: 'reasoning-delta', text: 'Let me ' },
      { type: 'reasoning-delta', text: 'think.' },
      { type: 'text-delta', text: 'Forty-two.' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 30, outputTokens: 20 } },
    ]);
  });

  test('streams tool calls in fragments, numbered among tool calls only', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({
      kind: 'stream',
      events: [
        messageStart({ inputTokens: 40 }),
        ...textBlock(0, ['Checking.']),
        ...toolUseBlock(1, {
          id: 'toolu_paris',
          name: 'get_weather',
          jsonPieces: ['', '{"city":', ' "Par', 'is"}'],
        }),
        ...toolUseBlock(2, { id: 'toolu_time', name: 'get_time', jsonPieces: ['{}'] }),
        messageDelta({ stopReason: 'tool_use', outputTokens: 50 }),
        messageStop(),
      ],
    });
    const parts = await collect(await adapter.stream(request, callOptions()));
    assert.deepEqual(parts, [
      { type: 'text-delta', text: 'Checking.' },
      { type: 'tool-call-delta', index: 0, id: 'toolu_paris', name: 'get_weather', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"city":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: ' "Par' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: 'is"}' },
      { type: 'tool-call-delta', index: 1, id: 'toolu_time', name: 'get_time', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{}' },
      { type: 'finish', finishReason: 'tool_calls', usage: { inputTokens: 40, outputTokens: 50 } },
    ]);
  });

  test('reports a reply cut at max_tokens as length, and a refusal as content_filter', async (t) => {
    const { fake, adapter } = await setUp(t);
    for (const [stopReason, finishReason] of [
      ['max_tokens', 'length'],
      ['refusal', 'content_filter'],
    ]) {
      fake.reply({
        kind: 'stream',
        events: [messageStart(), ...textBlock(0, ['Hi']), messageDelta({ stopReason }), messageStop()],
      });
      const parts = await collect(await adapter.stream(request, callOptions()));
      const last = parts.at(-1);
      assert.ok(last?.type === 'finish');
      assert.equal(last.finishReason, finishReason);
    }
  });
});

describe('anthropic provider: awkward streams', () => {
  const expected: StreamPart[] = [
    ...helloWorldPieces.map((text): StreamPart => ({ type: 'text-delta', text })),
    { type: 'finish', finishReason: 'stop', usage: { inputTokens: 7, outputTokens: 6 } },
  ];
  const reply = (write: Extract<FakeAnthropicReply, { kind: 'stream' }>['write']): FakeAnthropicReply => ({
    kind: 'stream',
    events: textReply(helloWorldPieces, { inputTokens: 7, outputTokens: 6 }),
    write,
  });

  test('reassembles events split across TCP packets in the middle of a UTF-8 character', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply(reply({ splitMidCharacter: true }));
    const parts = await collect(await adapter.stream(request, callOptions()));
    assert.deepEqual(parts, expected);
    const text = parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');
    assert.equal(text, helloWorld);
  });

  test('ignores keep-alive comment lines', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply(reply({ keepAliveComments: true }));
    assert.deepEqual(await collect(await adapter.stream(request, callOptions())), expected);
  });

  test('reads CRLF line endings', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply(reply({ crlf: true, splitMidCharacter: true }));
    assert.deepEqual(await collect(await adapter.stream(request, callOptions())), expected);
  });

  test('ignores ping events wherever they come', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({
      kind: 'stream',
      events: [
        ping(),
        messageStart({ inputTokens: 1 }),
        ping(),
        ...textBlock(0, ['Hi']),
        ping(),
        messageStop(),
      ],
    });
    assert.deepEqual(await collect(await adapter.stream(request, callOptions())), [
      { type: 'text-delta', text: 'Hi' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 1, outputTokens: undefined } },
    ]);
  });

  test('ends with one error part when an error event arrives after output', async (t) => {
    const { fake, adapter } = await setUp(t);
    const [start, delta] = textBlock(0, ['Hel']);
    fake.reply({
      kind: 'stream',
      events: [messageStart(), start!, delta!, errorEvent('overloaded_error', 'Overloaded')],
    });
    const parts = await collect(await adapter.stream(request, callOptions()));
    assert.equal(parts.length, 2);
    assert.deepEqual(parts[0], { type: 'text-delta', text: 'Hel' });
    const last = parts[1];
    assert.ok(last?.type === 'error');
    assert.equal(last.error.code, 'upstream_error');
    assert.match(last.error.message, /overloaded_error: Overloaded/);
  });

  test('finishes normally when the connection drops right after message_stop', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({
      kind: 'stream',
      events: textReply(['Hi'], { inputTokens: 3, outputTokens: 1 }),
      ending: 'drop',
    });
    assert.deepEqual(await collect(await adapter.stream(request, callOptions())), [
      { type: 'text-delta', text: 'Hi' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 1 } },
    ]);
  });

  test('ends with an upstream_error part when the stream stops without message_stop', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({ kind: 'stream', events: [messageStart(), ...textBlock(0, ['Hel'])], ending: 'drop' });
    const parts = await collect(await adapter.stream(request, callOptions()));
    assert.deepEqual(parts[0], { type: 'text-delta', text: 'Hel' });
    assert.equal(parts.length, 2);
    assert.ok(parts[1]?.type === 'error');
    assert.equal(parts[1].error.code, 'upstream_error');
  });

  test('ends with an upstream_error part when the response ends cleanly but early', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({ kind: 'stream', events: [messageStart(), ...textBlock(0, ['Hel'])], ending: 'end' });
    const parts = await collect(await adapter.stream(request, callOptions()));
    assert.equal(parts.length, 2);
    assert.ok(parts[1]?.type === 'error');
    assert.equal(parts[1].error.code, 'upstream_error');
  });
});

describe('anthropic provider: failures before output', () => {
  test('rejects, retryable, when Anthropic is overloaded (529), with the Retry-After delay', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({
      kind: 'http-error',
      status: 529,
      errorType: 'overloaded_error',
      message: 'Overloaded',
      retryAfter: '3',
    });
    const error = await rejection(adapter.stream(request, callOptions()));
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.retryable, true);
    assert.equal(error.upstreamStatus, 529);
    assert.equal(error.retryAfterMs, 3000);
    assert.match(error.message, /529.*overloaded_error: Overloaded/);
  });

  test('rejects, retryable, on an internal server error (500)', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({ kind: 'http-error', status: 500, errorType: 'api_error', message: 'Internal server error' });
    const error = await rejection(adapter.stream(request, callOptions()));
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.retryable, true);
    assert.equal(error.upstreamStatus, 500);
    assert.equal(error.retryAfterMs, undefined);
  });

  test('rejects, retryable, when rate limited (429), with the Retry-After delay', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({
      kind: 'http-error',
      status: 429,
      errorType: 'rate_limit_error',
      message: 'Rate limited',
      retryAfter: '7',
    });
    const error = await rejection(adapter.stream(request, callOptions()));
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.retryable, true);
    assert.equal(error.upstreamStatus, 429);
    assert.equal(error.retryAfterMs, 7000);
  });

  test('rejects as a bad request, not retryable, when Anthropic finds the request invalid (400)', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({
      kind: 'http-error',
      status: 400,
      errorType: 'invalid_request_error',
      message: 'messages: empty',
    });
    const error = await rejection(adapter.stream(request, callOptions()));
    assert.equal(error.code, 'bad_request');
    assert.equal(error.retryable, false);
  });

  test('rejects, retryable, when an error event comes before any output', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({
      kind: 'stream',
      events: [messageStart(), ping(), errorEvent('overloaded_error', 'Overloaded')],
    });
    const error = await rejection(adapter.stream(request, callOptions()));
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.retryable, true);
  });

  test('treats an error event whose type names an inherited property as an unknown type: a 500', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({
      kind: 'stream',
      events: [messageStart(), ping(), errorEvent('constructor', 'Odd')],
    });
    const error = await rejection(adapter.stream(request, callOptions()));
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.upstreamStatus, 500);
    assert.equal(error.message, 'upstream answered 500: constructor: Odd');
  });

  test('rejects, retryable, when the connection drops before any output', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({ kind: 'stream', events: [messageStart()], ending: 'drop' });
    const error = await rejection(adapter.stream(request, callOptions()));
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.retryable, true);
  });

  test('rejects with upstream_timeout when no answer comes within timeout_ms', async (t) => {
    const { fake, adapter } = await setUp(t, { timeout_ms: 1 });
    fake.reply({ kind: 'silence' });
    const error = await rejection(adapter.stream(request, callOptions()));
    assert.equal(error.code, 'upstream_timeout');
    assert.equal(error.retryable, true);
  });

  test('rejects tool call arguments that are not JSON as a bad request, without calling upstream', async (t) => {
    const { fake, adapter } = await setUp(t);
    const broken: ProviderRequest = {
      model: 'claude-sonnet-5-5',
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"ci' } },
          ],
        },
      ],
    };
    const error = await rejection(adapter.stream(broken, callOptions()));
    assert.equal(error.code, 'bad_request');
    assert.equal(fake.requests.length, 0);
  });
});

describe('anthropic provider: secrets', () => {
  test('keeps the api key out of the error when the key is refused (401)', async (t) => {
    const { adapter } = await setUp(t, { api_key: 'sk-ant-api03-wrong-key-0123456789' });
    const error = await rejection(adapter.stream(request, callOptions()));
    assert.equal(error.upstreamStatus, 401);
    assert.equal(error.retryable, false);
    assert.match(error.message, /authentication_error/);
    assert.doesNotMatch(error.message, /wrong-key/);
  });

  test('redacts the api key from an upstream error that quotes it', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({
      kind: 'http-error',
      status: 400,
      errorType: 'invalid_request_error',
      message: `bad key ${fake.apiKey}`,
    });
    const error = await rejection(adapter.stream(request, callOptions()));
    assert.ok(!error.message.includes(fake.apiKey));
    assert.match(error.message, /bad key \[redacted\]/);
    assert.equal(error.cause, undefined);
  });
});

describe('anthropic provider: cancellation', () => {
  function stallingReply(): FakeAnthropicReply {
    const [start, delta] = textBlock(0, ['Hel']);
    return { kind: 'stream', events: [messageStart(), start!, delta!], ending: 'stall' };
  }

  test('aborting the signal mid-stream closes the upstream connection and ends the stream', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply(stallingReply());
    const controller = new AbortController();
    const arrived = fake.nextRequest();
    const parts = (await adapter.stream(request, callOptions({ signal: controller.signal })))[
      Symbol.asyncIterator
    ]();
    assert.deepEqual(await parts.next(), { done: false, value: { type: 'text-delta', text: 'Hel' } });
    const pending = parts.next();
    controller.abort();
    await fake.connectionClosed(await arrived);
    assert.deepEqual(await pending, { done: true, value: undefined });
  });

  test('leaving the loop early closes the upstream connection', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply(stallingReply());
    const arrived = fake.nextRequest();
    for await (const part of await adapter.stream(request, callOptions())) {
      assert.deepEqual(part, { type: 'text-delta', text: 'Hel' });
      break;
    }
    await fake.connectionClosed(await arrived);
  });

  test('aborting before the upstream answers rejects and closes the connection', async (t) => {
    const { fake, adapter } = await setUp(t);
    fake.reply({ kind: 'silence' });
    const controller = new AbortController();
    const arrived = fake.nextRequest();
    const outcome = rejection(adapter.stream(request, callOptions({ signal: controller.signal })));
    const upstreamRequest = await arrived;
    controller.abort();
    await fake.connectionClosed(upstreamRequest);
    await outcome;
  });
});

describe('anthropic provider: what reaches Anthropic', () => {
  test("sends the key, the SDK's API version and Sluice's request id as headers", async (t) => {
    const { fake, adapter } = await setUp(t);
    await collect(await adapter.stream(request, callOptions({ requestId: 'req-abc-123' })));
    const { headers } = fake.requests[0]!;
    assert.equal(headers['x-request-id'], 'req-abc-123');
    assert.equal(headers.authorization, `Bearer ${fake.apiKey}`);
    assert.equal(headers['anthropic-version'], '2026-10-21');
    assert.equal(fake.requests[0]!.url, '/v1/messages');
  });

  test('reuses upstream connections once replies have finished, instead of one per request', async (t) => {
    const { fake, adapter } = await setUp(t);
    const sockets = new Set<unknown>();
    fake.server.on('request', (incoming: IncomingMessage) => sockets.add(incoming.socket));
    for (let attempt = 0; attempt < 4; attempt++) await collect(await adapter.stream(request, callOptions()));
    assert.equal(fake.requests.length, 4);
    // The pool may open a second connection while the first is being released, never one per request.
    assert.ok(sockets.size <= 2, `4 requests used ${sockets.size} connections`);
  });

  test('sends the configured API version and extra headers', async (t) => {
    const { fake, adapter } = await setUp(t, {
      anthropic_version: '2023-06-01',
      headers: { 'anthropic-beta': 'fine-grained-tool-streaming-2025-05-14' },
    });
    await collect(await adapter.stream(request, callOptions()));
    const { headers } = fake.requests[0]!;
    assert.equal(headers['anthropic-version'], '2023-06-01');
    assert.equal(headers['anthropic-beta'], 'fine-grained-tool-streaming-2025-05-14');
  });

  test('sends the system prompt apart and the conversation in Anthropic’s shape', async (t) => {
    const { fake, adapter } = await setUp(t);
    const conversation: ProviderRequest = {
      model: 'claude-sonnet-5-5',
      maxTokens: 300,
      stop: ['\n\nHuman:'],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Weather now',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            {
              id: 'toolu_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', toolCallId: 'toolu_1', content: 'Sunny, 21°C' },
        { role: 'user', content: 'And tomorrow?' },
      ],
    };
    await collect(await adapter.stream(conversation, callOptions()));
    assert.deepEqual(fake.requests[0]!.json, {
      model: 'claude-sonnet-5-5',
      max_tokens: 300,
      stream: true,
      system: [{ type: 'text', text: 'Be brief.' }],
      stop_sequences: ['\n\nHuman:'],
      tools: [
        {
          name: 'get_weather',
          description: 'Weather now',
          input_schema: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny, 21°C' },
            { type: 'text', text: 'And tomorrow?' },
          ],
        },
      ],
    });
  });

  test('sends default_max_tokens when the client gives no limit, since Anthropic requires one', async (t) => {
    const { fake, adapter } = await setUp(t, { default_max_tokens: 1234 });
    await collect(await adapter.stream(request, callOptions()));
    assert.equal((fake.requests[0]!.json as { max_tokens: number }).max_tokens, 1234);
  });

  test('does not send temperature or top_p, which Anthropic rejects, and logs a warning', async (t) => {
    const { fake, adapter } = await setUp(t);
    const { log, lines } = captureLog();
    await collect(await adapter.stream({ ...request, temperature: 0.2, topP: 0.9 }, callOptions({ log })));
    const body = fake.requests[0]!.json as Record<string, unknown>;
    assert.equal('temperature' in body, false);
    assert.equal('top_p' in body, false);
    const warnings = lines.filter((line) => line.level === 40);
    assert.equal(warnings.length, 1);
    assert.deepEqual(warnings[0]!.parameters, ['temperature', 'top_p']);
  });

  test('logs nothing about parameters when the request sets none that Anthropic rejects', async (t) => {
    const { adapter } = await setUp(t);
    const { log, lines } = captureLog();
    await collect(await adapter.stream(request, callOptions({ log })));
    assert.deepEqual(lines, []);
  });
});

describe('anthropic provider: config', () => {
  const parse = (config: Record<string, unknown>) => anthropicProvider.configSchema.safeParse(config);

  test('requires an api key and fills in the defaults', () => {
    assert.equal(parse({ type: 'anthropic' }).success, false);
    assert.deepEqual(parse({ type: 'anthropic', api_key: 'sk-ant-x' }).data, {
      type: 'anthropic',
      api_key: 'sk-ant-x',
      base_url: 'https://api.anthropic.com',
      default_max_tokens: 4096,
    });
  });

  test('refuses fields it does not know', () => {
    assert.equal(parse({ type: 'anthropic', api_key: 'sk-ant-x', temprature: 1 }).success, false);
  });
});
