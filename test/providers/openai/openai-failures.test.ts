import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors/gateway-error.ts';
import { startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { callOptions, collectParts, createOpenAiAdapter, userRequest } from './openai-test-kit.ts';

test('an error event after output began yields the output, then one error part', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      deltas: [{ content: 'Hel' }, { content: 'lo' }],
      ending: {
        type: 'error-event',
        error: {
          message: 'The server had an error while processing your request.',
          type: 'server_error',
          param: null,
          code: null,
        },
      },
    },
  });
  t.after(() => server.close());

  const stream = await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions());
  const parts = [];
  for await (const part of stream) parts.push(part);

  assert.deepEqual(parts.slice(0, 2), [
    { type: 'text-delta', text: 'Hel' },
    { type: 'text-delta', text: 'lo' },
  ]);
  assert.equal(parts.length, 3);
  const last = parts[2];
  assert.ok(last?.type === 'error');
  assert.equal(last.error.code, 'upstream_error');
  assert.match(last.error.message, /The server had an error while processing your request/);
});

test('a connection dropped after some output yields the output, then an upstream_error part', async (t) => {
  const server = await startFakeOpenAiServer({
    script: { deltas: [{ content: 'Hel' }, { content: 'lo' }], ending: { type: 'drop-connection' } },
  });
  t.after(() => server.close());

  const parts = await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(parts, [
    { type: 'text-delta', text: 'Hel' },
    { type: 'text-delta', text: 'lo' },
    { type: 'error', code: 'upstream_error' },
  ]);
});

test('a response that ends without a finish reason or [DONE] yields the output, then an upstream_error part', async (t) => {
  const server = await startFakeOpenAiServer({
    script: { deltas: [{ content: 'Hel' }], ending: { type: 'end-response' } },
  });
  t.after(() => server.close());

  const parts = await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(parts, [
    { type: 'text-delta', text: 'Hel' },
    { type: 'error', code: 'upstream_error' },
  ]);
});

test('an error event before any output rejects, so the router may try another target', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      deltas: [],
      ending: {
        type: 'error-event',
        error: { message: 'overloaded', type: 'server_error', param: null, code: null },
      },
    },
  });
  t.after(() => server.close());

  await assert.rejects(createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()), (error) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.retryable, true);
    return true;
  });
});

test('an HTTP 500 before output rejects with a retryable upstream_error', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      httpError: {
        status: 500,
        error: {
          message: 'The server had an error processing your request.',
          type: 'server_error',
          param: null,
          code: null,
        },
      },
    },
  });
  t.after(() => server.close());

  await assert.rejects(createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()), (error) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.retryable, true);
    assert.equal(error.upstreamStatus, 500);
    assert.equal(error.retryAfterMs, undefined);
    assert.match(error.message, /The server had an error processing your request/);
    return true;
  });
  assert.equal(server.chatRequests().length, 1, 'the SDK must not retry on its own');
});

test('an HTTP 429 rejects as retryable, with the Retry-After header in milliseconds', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      httpError: {
        status: 429,
        retryAfter: '7',
        error: {
          message: 'Rate limit reached for gpt-4o-mini on tokens per min (TPM): Limit 200000, Used 199990.',
          type: 'tokens',
          param: null,
          code: 'rate_limit_exceeded',
        },
      },
    },
  });
  t.after(() => server.close());

  await assert.rejects(createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()), (error) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.retryable, true);
    assert.equal(error.upstreamStatus, 429);
    assert.equal(error.retryAfterMs, 7000);
    return true;
  });
  assert.equal(server.chatRequests().length, 1, 'the SDK must not retry on its own');
});

test('an HTTP 400 rejects as a bad_request that is not retried', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      httpError: {
        status: 400,
        error: {
          message: "Invalid type for 'temperature': expected a decimal, but got a string instead.",
          type: 'invalid_request_error',
          param: 'temperature',
          code: 'invalid_type',
        },
      },
    },
  });
  t.after(() => server.close());

  await assert.rejects(createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()), (error) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'bad_request');
    assert.equal(error.retryable, false);
    return true;
  });
});

test('an HTTP 401 error does not carry the configured API key', async (t) => {
  const server = await startFakeOpenAiServer({
    script: {
      httpError: {
        status: 401,
        error: {
          message: 'Incorrect API key provided.',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      },
    },
  });
  t.after(() => server.close());

  await assert.rejects(createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()), (error) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.retryable, false);
    assert.doesNotMatch(`${error.message} ${error.stack}`, /sk-test-key/);
    return true;
  });
});

test('an upstream that sends no response headers within timeout_ms rejects with upstream_timeout', async (t) => {
  const server = await startFakeOpenAiServer({ script: { stallBeforeHeaders: true } });
  t.after(() => server.close());
  const adapter = createOpenAiAdapter(server.baseUrl, { timeout_ms: 50 });

  await assert.rejects(adapter.stream(userRequest(), callOptions()), (error) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'upstream_timeout');
    assert.equal(error.retryable, true);
    return true;
  });
});

test('a refused connection rejects with a retryable upstream_error', async () => {
  const server = await startFakeOpenAiServer({ script: {} });
  const baseUrl = server.baseUrl;
  await server.close();

  await assert.rejects(createOpenAiAdapter(baseUrl).stream(userRequest(), callOptions()), (error) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.retryable, true);
    return true;
  });
});
