import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { websocketProvider } from '../../../providers/websocket/index.ts';
import { websocketConfigSchema } from '../../../providers/websocket/websocket-config-schema.ts';
import type { ProviderRequest } from '../../../src/spec/chat-request.ts';
import type { StreamPart } from '../../../src/spec/stream-part.ts';
import {
  type FakeWebSocketScript,
  type FakeWebSocketStep,
  startFakeWebSocketUpstream,
} from '../../fakes/fake-websocket-upstream.ts';

const silentLog = pino({ level: 'silent' });

const request: ProviderRequest = {
  model: 'upstream-model',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
  ],
  maxTokens: 32,
  stop: ['\n\n'],
};

/** Where this fake upstream protocol puts each field: `{type: "token" | "end" | "error", ...}`. */
const paths = {
  text_path: '/text',
  finish_reason_path: '/finish_reason',
  input_tokens_path: '/usage/input_tokens',
  output_tokens_path: '/usage/output_tokens',
  error_path: '/error',
  error_message_path: '/error/message',
  done_path: '/type',
  done_value: 'end',
};

function tokens(texts: string[]): FakeWebSocketStep[] {
  return texts.map((text) => ({ message: { type: 'token', text } }));
}

const endMessage: FakeWebSocketStep = {
  message: { type: 'end', finish_reason: 'stop', usage: { input_tokens: 9, output_tokens: 2 } },
};

function createAdapter(url: string, config: Record<string, unknown> = {}) {
  return websocketProvider.create(
    websocketConfigSchema.parse({ type: 'websocket', url, ...paths, ...config }),
    {
      name: 'generic-ws',
    },
  );
}

function call(url: string, config: Record<string, unknown> = {}, signal = new AbortController().signal) {
  return createAdapter(url, config).stream(request, { signal, log: silentLog, requestId: 'req-456' });
}

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const collected: StreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

async function startFake(script: FakeWebSocketScript) {
  const fake = await startFakeWebSocketUpstream(script);
  after(() => fake.close());
  return fake;
}

function errorOf(part: StreamPart | undefined) {
  return part?.type === 'error' ? part.error : undefined;
}

describe('websocket provider: whole streams', () => {
  test('relays tokens as text deltas, ends at the done message with its usage, then closes normally', async () => {
    const fake = await startFake({ steps: [...tokens(['Hel', 'lo!']), endMessage] });
    const parts = await collect(await call(`${fake.url}/v1/realtime?mode=chat`));
    assert.deepEqual(parts, [
      { type: 'text-delta', text: 'Hel' },
      { type: 'text-delta', text: 'lo!' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 9, outputTokens: 2 } },
    ]);
    assert.equal(await fake.connections[0]?.closed, 1000);
  });

  test('sends the default request message, the configured headers and the request id', async () => {
    const fake = await startFake({ steps: [...tokens(['ok']), endMessage] });
    await collect(
      await call(`${fake.url}/v1/realtime?mode=chat`, { headers: { authorization: 'Bearer sk-ws' } }),
    );
    const [connection] = fake.connections;
    assert.equal(connection?.url, '/v1/realtime?mode=chat');
    assert.equal(connection?.headers['x-request-id'], 'req-456');
    assert.equal(connection?.headers.authorization, 'Bearer sk-ws');
    assert.equal(connection?.received.length, 1);
    assert.deepEqual(JSON.parse(connection?.received[0] ?? ''), {
      model: 'upstream-model',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      max_tokens: 32,
      stop: ['\n\n'],
    });
  });

  test('sends a reshaped request from a template, and a template that renders to text as plain text', async () => {
    const fake = await startFake({ steps: [...tokens(['ok']), endMessage] });
    await collect(await call(fake.url, { request: { action: 'generate', prompt: '{{last_user_message}}' } }));
    await collect(await call(fake.url, { request: '{{last_user_message}}' }));
    assert.deepEqual(JSON.parse(fake.connections[0]?.received[0] ?? ''), {
      action: 'generate',
      prompt: 'Hi',
    });
    assert.equal(fake.connections[1]?.received[0], 'Hi');
  });

  test('with an empty text_path each message is plain text, until a JSON done message', async () => {
    const steps = [{ message: 'The answer is ' }, { message: '42' }, { message: { done: true, tokens: 5 } }];
    const fake = await startFake({ steps });
    const config = {
      text_path: '',
      done_path: '/done',
      done_value: undefined,
      output_tokens_path: '/tokens',
    };
    const parts = await collect(await call(fake.url, config));
    assert.deepEqual(parts, [
      { type: 'text-delta', text: 'The answer is ' },
      { type: 'text-delta', text: '42' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: undefined, outputTokens: 5 } },
    ]);
  });

  test('without done_path, a normal close after a finish reason ends the stream with that reason', async () => {
    const steps: FakeWebSocketStep[] = [
      ...tokens(['Cut']),
      { message: { finish_reason: 'length', usage: { output_tokens: 1 } } },
      { close: 1000 },
    ];
    const fake = await startFake({ steps });
    const parts = await collect(await call(fake.url, { done_path: undefined, done_value: undefined }));
    assert.deepEqual(parts, [
      { type: 'text-delta', text: 'Cut' },
      { type: 'finish', finishReason: 'length', usage: { inputTokens: undefined, outputTokens: 1 } },
    ]);
  });

  test('reassembles a message whose frames split a character', async () => {
    const texts = ['hé', 'llo w', 'ö', 'rld ', '👋'];
    const steps = [...tokens(texts).map((step) => ({ ...step, splitMidCharacter: true })), endMessage];
    const fake = await startFake({ steps });
    const parts = await collect(await call(fake.url));
    assert.equal(
      parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join(''),
      'héllo wörld 👋',
    );
    assert.deepEqual(
      parts.slice(0, -1),
      texts.map((text) => ({ type: 'text-delta', text })),
    );
  });

  test('skips messages without text, such as acknowledgements', async () => {
    const steps = [{ message: { type: 'ack' } }, { message: 'not json' }, ...tokens(['ok']), endMessage];
    const fake = await startFake({ steps });
    const parts = await collect(await call(fake.url));
    assert.deepEqual(
      parts.map((part) => part.type),
      ['text-delta', 'finish'],
    );
  });
});

describe('websocket provider: failures', () => {
  test('an error message after output becomes one error part carrying the upstream message', async () => {
    const steps = [
      ...tokens(['Partial']),
      { message: { type: 'error', error: { message: 'model crashed' } } },
    ];
    const fake = await startFake({ steps: [...steps, ...tokens(['never read'])] });
    const parts = await collect(await call(fake.url));
    assert.equal(parts.length, 2);
    assert.deepEqual(parts[0], { type: 'text-delta', text: 'Partial' });
    assert.equal(errorOf(parts[1])?.code, 'upstream_error');
    assert.equal(errorOf(parts[1])?.message, 'upstream reported an error: model crashed');
  });

  test('an error message before any output rejects, so another target may be tried', async () => {
    const fake = await startFake({
      steps: [{ message: { type: 'error', error: { message: 'no capacity' } } }],
    });
    await assert.rejects(call(fake.url), { code: 'upstream_error', retryable: true, message: /no capacity/ });
  });

  test('an abrupt close after output ends with an upstream_error part', async () => {
    const fake = await startFake({ steps: [...tokens(['Half']), { terminate: true }] });
    const parts = await collect(await call(fake.url));
    assert.deepEqual(parts[0], { type: 'text-delta', text: 'Half' });
    assert.equal(errorOf(parts[1])?.code, 'upstream_error');
    assert.equal(parts.length, 2);
  });

  test('a close frame before the done message ends with an upstream_error part', async () => {
    const fake = await startFake({ steps: [...tokens(['Half']), { close: 1011, reason: 'internal error' }] });
    const parts = await collect(await call(fake.url));
    assert.deepEqual(parts[0], { type: 'text-delta', text: 'Half' });
    assert.equal(errorOf(parts[1])?.code, 'upstream_error');
    assert.equal(parts.length, 2);
  });

  test('a close before any output rejects with upstream_error', async () => {
    const fake = await startFake({ steps: [{ close: 1000 }] });
    await assert.rejects(call(fake.url), { code: 'upstream_error', retryable: true });
  });

  test('a handshake refused with 503 and Retry-After rejects as retryable, keeping the delay and the message', async () => {
    const body = JSON.stringify({ error: { message: 'at capacity' } });
    const fake = await startFake({ handshake: { status: 503, headers: { 'retry-after': '3' }, body } });
    await assert.rejects(call(fake.url), {
      code: 'upstream_error',
      retryable: true,
      retryAfterMs: 3000,
      upstreamStatus: 503,
      message: 'upstream answered 503: at capacity',
    });
    assert.equal(fake.connections.length, 0);
  });

  test('a handshake refused with 429 rejects as retryable with its delay', async () => {
    const fake = await startFake({ handshake: { status: 429, headers: { 'retry-after': '1' } } });
    await assert.rejects(call(fake.url), { code: 'upstream_error', retryable: true, retryAfterMs: 1000 });
  });

  test('a handshake refused with 401 rejects as not retryable and never shows the secret header', async () => {
    const fake = await startFake({ handshake: { status: 401, body: 'bad key' } });
    const error = await call(fake.url, { headers: { authorization: 'Bearer sk-hidden' } }).then(
      () => assert.fail('expected a rejection'),
      (rejection: Error & { code: string; retryable: boolean }) => rejection,
    );
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.retryable, false);
    assert.doesNotMatch(error.message, /sk-hidden/);
  });

  test('a refused connection rejects as a retryable upstream_error', async () => {
    const fake = await startFakeWebSocketUpstream({});
    await fake.close();
    await assert.rejects(call(fake.url), { code: 'upstream_error', retryable: true, message: /connection/ });
  });

  test('a handshake that never completes rejects with upstream_timeout and drops the connection', async () => {
    const fake = await startFake({ handshake: 'stall' });
    const closed = fake.nextConnectionClose();
    await assert.rejects(call(fake.url, { connect_timeout_ms: 50 }), {
      code: 'upstream_timeout',
      retryable: true,
    });
    await closed;
  });
});

describe('websocket provider: cancellation', () => {
  test('aborting the signal mid-stream closes the upstream socket at once and ends the stream quietly', async () => {
    const fake = await startFake({ steps: tokens(['Hi']) });
    const controller = new AbortController();
    const iterator = (await call(fake.url, {}, controller.signal))[Symbol.asyncIterator]();
    assert.deepEqual((await iterator.next()).value, { type: 'text-delta', text: 'Hi' });
    controller.abort();
    assert.equal(await fake.connections[0]?.closed, 1006);
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
  });

  test('aborting during the handshake rejects and drops the connection', async () => {
    const fake = await startFake({ handshake: 'stall' });
    const controller = new AbortController();
    const closed = fake.nextConnectionClose();
    const upgradeRequested = once(fake.server, 'upgrade');
    const pending = call(fake.url, {}, controller.signal);
    await upgradeRequested;
    controller.abort();
    await assert.rejects(pending);
    await closed;
  });

  test('an already aborted signal rejects without connecting', async () => {
    const fake = await startFake({ steps: tokens(['Hi']) });
    await assert.rejects(call(fake.url, {}, AbortSignal.abort()));
    assert.equal(fake.openConnections(), 0);
  });

  test('leaving the loop early closes the upstream socket', async () => {
    const fake = await startFake({ steps: tokens(['Hi', 'there']) });
    for await (const part of await call(fake.url)) {
      assert.deepEqual(part, { type: 'text-delta', text: 'Hi' });
      break;
    }
    assert.equal(await fake.connections[0]?.closed, 1006);
  });
});

describe('websocket provider: config', () => {
  test('fills in the defaults', () => {
    const config = websocketConfigSchema.parse({
      type: 'websocket',
      url: 'wss://example.test/ws',
      text_path: '/t',
    });
    assert.equal(config.connect_timeout_ms, 10_000);
    assert.equal(config.request, undefined);
    assert.equal(config.done_path, undefined);
  });

  test('refuses an HTTP URL, a bad pointer and a done_value without done_path', () => {
    const base = { type: 'websocket', url: 'wss://example.test/ws', text_path: '/t' };
    for (const [override, path] of [
      [{ url: 'https://example.test' }, 'url'],
      [{ done_path: 'type' }, 'done_path'],
      [{ done_value: 'end' }, 'done_value'],
      [{ request: { prompt: 'Say {{last_user_message}}' } }, 'request.prompt'],
    ] as const) {
      const result = websocketConfigSchema.safeParse({ ...base, ...override });
      assert.equal(result.success, false, JSON.stringify(override));
      assert.equal(result.error?.issues[0]?.path.join('.'), path, JSON.stringify(override));
    }
  });
});
