import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { sseProvider } from '../../../providers/sse/index.ts';
import { sseConfigSchema } from '../../../providers/sse/sse-config-schema.ts';
import { GatewayError } from '../../../src/errors/gateway-error.ts';
import type { ProviderRequest } from '../../../src/spec/chat-request.ts';
import type { StreamPart } from '../../../src/spec/stream-part.ts';
import { type FakeSseReply, startFakeSseServer, startLongSseServer } from '../../fakes/fake-sse-server.ts';

const silentLog = pino({ level: 'silent' });

const request: ProviderRequest = {
  model: 'upstream-model',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
  ],
  maxTokens: 32,
  temperature: 0.5,
};

/** Where an OpenAI-compatible upstream puts each field. */
const openAiStylePaths = {
  text_path: '/choices/0/delta/content',
  reasoning_path: '/choices/0/delta/reasoning_content',
  finish_reason_path: '/choices/0/finish_reason',
  input_tokens_path: '/usage/prompt_tokens',
  output_tokens_path: '/usage/completion_tokens',
  error_path: '/error',
  error_message_path: '/error/message',
};

/** An OpenAI-compatible chat completion chunk, as such upstreams send it. */
function chunk(delta: Record<string, unknown>, finishReason: string | null = null): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'upstream-model',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
}

function usageChunk(promptTokens: number, completionTokens: number): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    choices: [],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  });
}

function textEvents(texts: string[]): FakeSseReply['events'] {
  return [
    { data: chunk({ role: 'assistant', content: '' }) },
    ...texts.map((text) => ({ data: chunk({ content: text }) })),
    { data: chunk({}, 'stop') },
    { data: usageChunk(9, texts.length) },
    { data: '[DONE]' },
  ];
}

function textParts(texts: string[]): StreamPart[] {
  return [
    ...texts.map((text) => ({ type: 'text-delta' as const, text })),
    { type: 'finish', finishReason: 'stop', usage: { inputTokens: 9, outputTokens: texts.length } },
  ];
}

function createAdapter(url: string, config: Record<string, unknown> = {}) {
  return sseProvider.create(sseConfigSchema.parse({ type: 'sse', url, ...openAiStylePaths, ...config }), {
    name: 'generic',
  });
}

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const collected: StreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

function call(url: string, config: Record<string, unknown> = {}, signal = new AbortController().signal) {
  return createAdapter(url, config).stream(request, { signal, log: silentLog, requestId: 'req-123' });
}

async function withFake<T>(reply: FakeSseReply, run: (url: string) => Promise<T>): Promise<T> {
  const fake = await startFakeSseServer(reply);
  try {
    return await run(`${fake.url}/v1/stream`);
  } finally {
    await fake.close();
  }
}

describe('sse provider: whole streams', () => {
  test('turns an OpenAI-style stream into text deltas and one finish with the usage read from the pointers', async () => {
    const parts = await withFake({ events: textEvents(['Hel', 'lo!']) }, async (url) =>
      collect(await call(url)),
    );
    assert.deepEqual(parts, textParts(['Hel', 'lo!']));
  });

  test('sends the default JSON body, the configured headers and the request id', async () => {
    const fake = await startFakeSseServer({ events: textEvents(['ok']) });
    after(() => fake.close());
    await collect(await call(`${fake.url}/v1/stream`, { headers: { authorization: 'Bearer sk-secret' } }));
    const [received] = fake.requests;
    assert.equal(received?.method, 'POST');
    assert.equal(received?.url, '/v1/stream');
    assert.equal(received?.headers['x-request-id'], 'req-123');
    assert.equal(received?.headers.authorization, 'Bearer sk-secret');
    assert.equal(received?.headers.accept, 'text/event-stream');
    assert.equal(received?.headers['content-type'], 'application/json');
    assert.deepEqual(received?.json, {
      model: 'upstream-model',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      max_tokens: 32,
      temperature: 0.5,
      stream: true,
    });
  });

  test('sends the User-Agent that Node fetch sent, unless one is configured', async () => {
    const fake = await startFakeSseServer({ events: textEvents(['ok']) });
    after(() => fake.close());
    await collect(await call(fake.url));
    await collect(await call(fake.url, { headers: { 'user-agent': 'sluice-test' } }));
    assert.deepEqual(
      fake.requests.map((received) => received.headers['user-agent']),
      ['node', 'sluice-test'],
    );
  });

  test('sends a reshaped body from a body template', async () => {
    const fake = await startFakeSseServer({ events: textEvents(['ok']) });
    after(() => fake.close());
    const body = {
      inputs: '{{last_user_message}}',
      parameters: { max_new_tokens: '{{max_tokens}}' },
      stream: true,
    };
    await collect(await call(fake.url, { body }));
    assert.deepEqual(fake.requests[0]?.json, {
      inputs: 'Hi',
      parameters: { max_new_tokens: 32 },
      stream: true,
    });
  });

  test('a GET request carries no body', async () => {
    const fake = await startFakeSseServer({ events: textEvents(['ok']) });
    after(() => fake.close());
    await collect(await call(fake.url, { method: 'GET' }));
    assert.equal(fake.requests[0]?.method, 'GET');
    assert.equal(fake.requests[0]?.body, '');
    assert.equal(fake.requests[0]?.headers['content-type'], undefined);
  });

  test('reads reasoning deltas before the text of the same event', async () => {
    const events = [
      { data: chunk({ reasoning_content: 'Thinking.' }) },
      { data: chunk({ reasoning_content: ' Done.', content: 'Answer' }) },
      { data: chunk({}, 'stop') },
      { data: '[DONE]' },
    ];
    const parts = await withFake({ events }, async (url) => collect(await call(url)));
    assert.deepEqual(parts, [
      { type: 'reasoning-delta', text: 'Thinking.' },
      { type: 'reasoning-delta', text: ' Done.' },
      { type: 'text-delta', text: 'Answer' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: undefined, outputTokens: undefined } },
    ]);
  });

  test('an upstream that closes after a finish reason ends with that reason, mapped to the protocol', async () => {
    const events = [{ data: chunk({ content: 'Cut' }) }, { data: chunk({}, 'max_tokens') }];
    const parts = await withFake({ events }, async (url) => collect(await call(url)));
    assert.deepEqual(parts, [
      { type: 'text-delta', text: 'Cut' },
      { type: 'finish', finishReason: 'length', usage: { inputTokens: undefined, outputTokens: undefined } },
    ]);
  });

  test('usage is looked for in every event and the last value seen wins', async () => {
    const events = [
      { data: JSON.stringify({ text: 'a', usage: { in: 5, out: 1 } }) },
      { data: JSON.stringify({ text: 'b', usage: { out: 2 } }) },
      { data: JSON.stringify({ text: 'c', usage: { out: null } }) },
      { event: 'done', data: JSON.stringify({ usage: { in: 6, out: 3 } }) },
    ];
    const config = {
      ...openAiStylePaths,
      text_path: '/text',
      input_tokens_path: '/usage/in',
      output_tokens_path: '/usage/out',
      done_event: 'done',
    };
    const parts = await withFake({ events }, async (url) => collect(await call(url, config)));
    assert.deepEqual(parts.at(-1), {
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: 6, outputTokens: 3 },
    });
    assert.deepEqual(
      parts.slice(0, -1).map((part) => (part.type === 'text-delta' ? part.text : part.type)),
      ['a', 'b', 'c'],
    );
  });

  test('a done event ends the stream even while the upstream keeps the connection open', async () => {
    const events = [
      { event: 'token', data: JSON.stringify({ token: 'Hi' }) },
      { event: 'end', data: JSON.stringify({ reason: 'eos', tokens: 1 }) },
    ];
    const config = {
      text_path: '/token',
      finish_reason_path: '/reason',
      output_tokens_path: '/tokens',
      done_event: 'end',
    };
    const parts = await withFake({ events, ending: 'stall' }, async (url) =>
      collect(await call(url, config)),
    );
    assert.deepEqual(parts, [
      { type: 'text-delta', text: 'Hi' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: undefined, outputTokens: 1 } },
    ]);
  });

  test('with an empty text_path each event is plain text, even text that looks like JSON', async () => {
    const events = [
      { data: 'The answer' },
      { data: ' is ' },
      { data: '42' },
      { data: '"quoted"' },
      { data: 'END' },
    ];
    const parts = await withFake({ events }, async (url) =>
      collect(await call(url, { text_path: '', done_data: 'END' })),
    );
    assert.deepEqual(parts, [
      { type: 'text-delta', text: 'The answer' },
      { type: 'text-delta', text: ' is ' },
      { type: 'text-delta', text: '42' },
      { type: 'text-delta', text: '"quoted"' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: undefined, outputTokens: undefined } },
    ]);
  });

  test('skips events whose data is not JSON', async () => {
    const events = [
      { data: chunk({ content: 'a' }) },
      { data: 'not json at all' },
      ...(textEvents(['b']) ?? []),
    ];
    const parts = await withFake({ events }, async (url) => collect(await call(url)));
    assert.deepEqual(parts, [{ type: 'text-delta', text: 'a' }, ...textParts(['b'])]);
  });
});

describe('sse provider: the wire as real upstreams cut it', () => {
  const texts = ['hé', 'llo w', 'ö', 'rld ', '👋'];

  test('reassembles characters split across TCP packets exactly', async () => {
    const reply = { events: textEvents(texts), write: { splitMidCharacter: true } };
    const parts = await withFake(reply, async (url) => collect(await call(url)));
    assert.deepEqual(parts, textParts(texts));
    const text = parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');
    assert.equal(text, 'héllo wörld 👋');
  });

  test('ignores keep-alive comments', async () => {
    const reply = { events: textEvents(texts), write: { keepAliveComments: true } };
    const parts = await withFake(reply, async (url) => collect(await call(url)));
    assert.deepEqual(parts, textParts(texts));
  });

  test('reads CRLF line endings', async () => {
    const reply = { events: textEvents(texts), write: { crlf: true, splitMidCharacter: true } };
    const parts = await withFake(reply, async (url) => collect(await call(url)));
    assert.deepEqual(parts, textParts(texts));
  });
});

describe('sse provider: failures', () => {
  test('ignores lines with unknown fields and a bad retry value', async () => {
    const events = [{ raw: 'retry: soon\nfoo: bar\n\n' }, ...(textEvents(['ok']) ?? [])];
    const parts = await withFake({ events }, async (url) => collect(await call(url)));
    assert.deepEqual(parts, textParts(['ok']));
  });

  test('an event over 4 MiB ends the stream with an error instead of buffering without bound', async () => {
    const events = [{ data: chunk({ content: 'Hi' }) }, { raw: `data: ${'x'.repeat(5 * 1024 * 1024)}` }];
    const parts = await withFake({ events, ending: 'stall' }, async (url) => collect(await call(url)));
    assert.deepEqual(parts[0], { type: 'text-delta', text: 'Hi' });
    assert.equal(parts[1]?.type === 'error' && parts[1].error.code, 'upstream_error');
    assert.equal(parts.length, 2);
  });

  test('an error event after output becomes one error part carrying the upstream message', async () => {
    const events = [
      { data: chunk({ content: 'Partial' }) },
      {
        event: 'error',
        data: JSON.stringify({ error: { message: 'model overloaded', type: 'server_error' } }),
      },
      { data: chunk({ content: 'never read' }) },
    ];
    const parts = await withFake({ events }, async (url) => collect(await call(url)));
    assert.equal(parts.length, 2);
    assert.deepEqual(parts[0], { type: 'text-delta', text: 'Partial' });
    assert.equal(parts[1]?.type, 'error');
    const error = parts[1]?.type === 'error' ? parts[1].error : undefined;
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.message, 'upstream reported an error: model overloaded');
  });

  test('an error object in a data event after output becomes one error part', async () => {
    const events = [
      { data: chunk({ content: 'Partial' }) },
      { data: JSON.stringify({ error: { message: 'context length exceeded', code: 'context_length' } }) },
    ];
    const parts = await withFake({ events }, async (url) => collect(await call(url)));
    assert.deepEqual(parts[0], { type: 'text-delta', text: 'Partial' });
    assert.equal(
      parts[1]?.type === 'error' && parts[1].error.message,
      'upstream reported an error: context length exceeded',
    );
    assert.equal(parts.length, 2);
  });

  test('an error event before any output rejects, so another target may be tried', async () => {
    const events = [{ event: 'error', data: 'upstream is restarting' }];
    await withFake({ events }, async (url) => {
      await assert.rejects(call(url), {
        name: 'GatewayError',
        code: 'upstream_error',
        retryable: true,
        message: /restarting/,
      });
    });
  });

  test('a stream that just stops after output ends with an upstream_error part', async () => {
    const events = [{ data: chunk({ content: 'Half an ans' }) }];
    const parts = await withFake({ events }, async (url) => collect(await call(url)));
    assert.deepEqual(parts[0], { type: 'text-delta', text: 'Half an ans' });
    assert.equal(parts[1]?.type === 'error' && parts[1].error.code, 'upstream_error');
    assert.equal(parts.length, 2);
  });

  test('a stream that stops before any output rejects with upstream_error', async () => {
    await withFake({ events: [{ data: chunk({ role: 'assistant' }) }] }, async (url) => {
      await assert.rejects(call(url), { code: 'upstream_error', retryable: true });
    });
  });

  test('a connection reset after output becomes one error part', async () => {
    const events = [{ data: chunk({ content: 'Hi' }) }];
    const parts = await withFake({ events, ending: 'reset' }, async (url) => collect(await call(url)));
    assert.deepEqual(parts[0], { type: 'text-delta', text: 'Hi' });
    assert.equal(parts[1]?.type === 'error' && parts[1].error.code, 'upstream_error');
    assert.equal(parts.length, 2);
  });

  test('a 429 with Retry-After rejects as a retryable upstream_error that keeps the delay and the message', async () => {
    const reply = {
      status: 429,
      headers: { 'retry-after': '7' },
      errorBody: JSON.stringify({ error: { message: 'Rate limit reached', type: 'rate_limit' } }),
    };
    await withFake(reply, async (url) => {
      await assert.rejects(call(url), {
        code: 'upstream_error',
        retryable: true,
        retryAfterMs: 7000,
        upstreamStatus: 429,
        message: 'upstream answered 429: Rate limit reached',
      });
    });
  });

  test('a 503 with an HTML body rejects as a retryable upstream_error', async () => {
    await withFake({ status: 503, errorBody: '<html>Service Unavailable</html>' }, async (url) => {
      await assert.rejects(call(url), { code: 'upstream_error', retryable: true, upstreamStatus: 503 });
    });
  });

  test('a 502 with a megabyte body rejects after reading only its start, and closes the connection', async () => {
    const fake = await startFakeSseServer({ status: 502, errorBody: 'x'.repeat(1024 * 1024) });
    after(() => fake.close());
    const closed = fake.nextConnectionClose();
    const error = await call(fake.url).then(
      () => assert.fail('expected a rejection'),
      (rejection: GatewayError) => rejection,
    );
    assert.equal(error.upstreamStatus, 502);
    assert.ok(error.message.length < 5000, `a message of ${error.message.length} characters`);
    await closed;
  });

  test('a 400 rejects as bad_request, not retryable', async () => {
    await withFake(
      { status: 400, errorBody: JSON.stringify({ error: { message: 'bad model' } }) },
      async (url) => {
        await assert.rejects(call(url), { code: 'bad_request', retryable: false, message: /bad model/ });
      },
    );
  });

  test('a 401 never puts the configured secret headers into the error', async () => {
    await withFake({ status: 401, errorBody: 'invalid key' }, async (url) => {
      const error = await call(url, { headers: { authorization: 'Bearer sk-very-secret' } }).then(
        () => assert.fail('expected a rejection'),
        (rejection: GatewayError) => rejection,
      );
      assert.equal(error.code, 'upstream_error');
      assert.doesNotMatch(`${error.message} ${JSON.stringify(error)}`, /sk-very-secret/);
    });
  });

  test('a refused connection rejects as a retryable upstream_error', async () => {
    const fake = await startFakeSseServer({ events: [] });
    await fake.close();
    await assert.rejects(call(fake.url), { code: 'upstream_error', retryable: true, message: /connection/ });
  });
});

describe('sse provider: cancellation and backpressure', () => {
  test('aborting the signal mid-stream closes the upstream connection and ends the stream quietly', async () => {
    const fake = await startFakeSseServer({ events: [{ data: chunk({ content: 'Hi' }) }], ending: 'stall' });
    after(() => fake.close());
    const controller = new AbortController();
    const parts = await call(fake.url, {}, controller.signal);
    const iterator = parts[Symbol.asyncIterator]();
    assert.deepEqual((await iterator.next()).value, { type: 'text-delta', text: 'Hi' });
    const closed = fake.nextConnectionClose();
    controller.abort();
    await closed;
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
  });

  test('aborting while waiting for the first output closes the upstream connection', async () => {
    const fake = await startFakeSseServer({ events: [], ending: 'stall' });
    after(() => fake.close());
    const controller = new AbortController();
    const requested = once(fake.server, 'request');
    const closed = fake.nextConnectionClose();
    const pending = call(fake.url, {}, controller.signal);
    await requested;
    controller.abort();
    await assert.rejects(pending);
    await closed;
  });

  test('leaving the loop early closes the upstream connection', async () => {
    const fake = await startFakeSseServer({ events: [{ data: chunk({ content: 'Hi' }) }], ending: 'stall' });
    after(() => fake.close());
    const closed = fake.nextConnectionClose();
    for await (const part of await call(fake.url)) {
      assert.deepEqual(part, { type: 'text-delta', text: 'Hi' });
      break;
    }
    await closed;
  });

  test('a consumer that stops reading stops the upstream from writing, and leaving ends its stream', async () => {
    const eventCount = 200_000;
    const fake = await startLongSseServer({ eventCount });
    after(() => fake.close());
    const parts = await call(fake.url);
    const iterator = parts[Symbol.asyncIterator]();
    assert.deepEqual((await iterator.next()).value, { type: 'text-delta', text: 'word0 ' });
    const writtenWhenBlocked = await fake.writerBlocked();
    assert.ok(
      writtenWhenBlocked < eventCount,
      `the upstream wrote ${writtenWhenBlocked} of ${eventCount} events`,
    );
    await iterator.return?.();
    assert.equal(await fake.streamEnded(), 'client-closed');
    assert.ok(fake.eventsWritten() < eventCount);
  });
});

describe('sse provider: config', () => {
  test('fills in the defaults', () => {
    const config = sseConfigSchema.parse({
      type: 'sse',
      url: 'https://example.test/stream',
      text_path: '/text',
    });
    assert.equal(config.method, 'POST');
    assert.equal(config.done_data, '[DONE]');
    assert.equal(config.error_event, 'error');
    assert.equal(config.body, undefined);
  });

  test('refuses a bad pointer, a non-HTTP URL, unknown fields and a GET with a body', () => {
    const base = { type: 'sse', url: 'https://example.test/stream', text_path: '/text' };
    for (const [override, path] of [
      [{ text_path: 'choices/0' }, 'text_path'],
      [{ url: 'ws://example.test' }, 'url'],
      [{ txt_path: '/text' }, ''],
      [{ method: 'GET', body: { a: 1 } }, 'body'],
      [{ output_tokens_path: '/usage/~2' }, 'output_tokens_path'],
      [{ headers: { authorization: 'Bearer sk-1\r\nx-injected: 1' } }, 'headers.authorization'],
      [{ headers: { 'bad header': 'x' } }, 'headers.bad header'],
    ] as const) {
      const result = sseConfigSchema.safeParse({ ...base, ...override });
      assert.equal(result.success, false, JSON.stringify(override));
      assert.equal(result.error?.issues[0]?.path.join('.'), path, JSON.stringify(override));
      assert.doesNotMatch(result.error?.message ?? '', /sk-1/);
    }
  });

  test('warns in the log that tools are ignored', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    await withFake({ events: textEvents(['ok']) }, async (url) => {
      const tools = [{ type: 'function' as const, function: { name: 'lookup' } }];
      await collect(
        await createAdapter(url).stream(
          { ...request, tools },
          { signal: new AbortController().signal, log, requestId: 'r' },
        ),
      );
    });
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /ignores tools/);
  });
});
