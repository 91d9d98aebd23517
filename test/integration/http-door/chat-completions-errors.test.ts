import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { countMessageTokens } from '../../../src/usage/count-tokens.ts';
import {
  type FakeOpenAiScript,
  type FakeOpenAiServer,
  startFakeOpenAiServer,
} from '../../fakes/fake-openai-server.ts';
import { type MeteredUpstream, startMeteredUpstream } from '../../fakes/metered-openai-upstream.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { authWithKey, readChunks, sdkClient, sluiceApiKey } from './http-door-test-kit.ts';

const upstreamFailure = {
  message: 'The server is overloaded.',
  type: 'server_error',
  param: null,
  code: null,
};

const failures: Record<string, FakeOpenAiScript> = {
  'upstream 503': { httpError: { status: 503, error: upstreamFailure } },
  'upstream 429': {
    httpError: {
      status: 429,
      error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' },
      retryAfter: '7',
    },
  },
  'upstream 400': {
    httpError: {
      status: 400,
      error: { message: "Invalid 'messages'", type: 'invalid_request_error', param: 'messages', code: null },
    },
  },
  'fails mid-stream': {
    deltas: [{ content: 'par' }, { content: 'tial' }],
    ending: { type: 'error-event', error: upstreamFailure },
  },
};

/** Expects `call` to throw the SDK's APIError, and returns it. */
async function apiError(call: () => Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof OpenAI.APIError, `expected an APIError, got ${String(error)}`);
    return error;
  }
  assert.fail('the call succeeded');
}

/** Posts a raw body to Sluice's chat completions with the test key. */
function postRaw(url: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sluiceApiKey}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('HTTP door: errors in OpenAI shape, with the right status', () => {
  let upstream: FakeOpenAiServer;
  let sluice: TestSluice;
  let client: OpenAI;
  const user = (content: string) => [{ role: 'user' as const, content }];
  before(async () => {
    upstream = await startFakeOpenAiServer({
      script: (request) => {
        const messages = (request.json as { messages: Array<{ content: string }> }).messages;
        return failures[messages.at(-1)?.content ?? ''] ?? { deltas: [{ content: 'fine' }] };
      },
    });
    sluice = await startTestSluice({
      server: { max_body_bytes: 2048 },
      providers: { local: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      // Each failure here is one client error: no retries, no breaker between the cases.
      models: {
        chat: {
          target: { provider: 'local', model: 'gpt-4o-mini' },
          retry: { attempts: 1 },
          breaker: { threshold: 1000 },
        },
      },
      auth: authWithKey(),
    });
    client = sdkClient(`${sluice.url}/v1`, sluiceApiKey);
  });
  after(async () => {
    await sluice.close();
    await upstream.close();
  });

  it('answers an upstream failure before any output with 502 upstream_error, streamed or not', async () => {
    for (const stream of [false, true]) {
      const error = await apiError(() =>
        client.chat.completions.create({ model: 'chat', messages: user('upstream 503'), stream }),
      );
      assert.equal(error.status, 502);
      assert.equal(error.code, 'upstream_error');
      assert.equal(error.type, 'upstream_error');
      assert.equal(error.param, null);
      assert.match(error.message, /upstream answered 503/);
    }
  });

  it("passes an upstream 429's Retry-After on to the client", async () => {
    const error = await apiError(() =>
      client.chat.completions.create({ model: 'chat', messages: user('upstream 429') }),
    );
    assert.equal(error.status, 502);
    assert.equal(error.code, 'upstream_error');
    assert.equal(error.headers?.get('retry-after'), '7');
  });

  it('answers a request the upstream rejected as invalid with 400 bad_request', async () => {
    const error = await apiError(() =>
      client.chat.completions.create({ model: 'chat', messages: user('upstream 400') }),
    );
    assert.equal(error.status, 400);
    assert.equal(error.code, 'bad_request');
  });

  it('ends a stream that fails after its first output with an error event the SDK throws', async () => {
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages: user('fails mid-stream'),
      stream: true,
    });
    let text = '';
    const error = await apiError(async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    });
    assert.equal(text, 'partial', 'the output before the failure arrived');
    assert.equal(error.status, undefined, 'the HTTP status was already 200');
    assert.equal(error.code, 'upstream_error');
  });

  it('sends the raw error event and ends the stream without [DONE]', async () => {
    const response = await postRaw(
      sluice.url,
      JSON.stringify({ model: 'chat', messages: user('fails mid-stream'), stream: true }),
    );
    assert.equal(response.status, 200);
    const events = (await response.text()).split('\n\n').filter(Boolean);
    const last = JSON.parse(events.at(-1)!.replace(/^data: /, ''));
    assert.deepEqual(Object.keys(last), ['error']);
    assert.deepEqual(Object.keys(last.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(last.error.code, 'upstream_error');
    assert.ok(!events.includes('data: [DONE]'));
  });

  it('answers a non-streaming request that fails mid-reply with the error status', async () => {
    const error = await apiError(() =>
      client.chat.completions.create({ model: 'chat', messages: user('fails mid-stream') }),
    );
    assert.equal(error.status, 502);
    assert.equal(error.code, 'upstream_error');
  });

  it('refuses an invalid field with 400 bad_request naming it in param', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ temperature: 7 }, 'temperature'],
      [{ messages: [{ role: 'wizard', content: 'Hi' }] }, 'messages[0].role'],
      [{ messages: [] }, 'messages'],
      [{ max_completion_tokens: -1 }, 'max_completion_tokens'],
      [{ stop: 42 }, 'stop'],
      [{ model: undefined }, 'model'],
      [{ n: 2 }, 'n'],
      [{ tool_choice: 'required' }, 'tool_choice'],
      [{ tool_choice: { type: 'function', function: { name: 'get_weather' } } }, 'tool_choice'],
    ];
    for (const [fields, param] of cases) {
      const body = { model: 'chat', messages: user('Hi'), ...fields };
      const error = await apiError(() =>
        client.chat.completions.create(body as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming),
      );
      assert.equal(error.status, 400, param);
      assert.equal(error.code, 'bad_request', param);
      assert.equal(error.param, param);
      assert.ok(error.message.includes(param), `the message names ${param}: ${error.message}`);
    }
    assert.equal(upstream.chatRequests().filter((request) => request.body.includes('wizard')).length, 0);
  });

  it('says a missing field is required', async () => {
    const error = await apiError(() =>
      client.chat.completions.create({ model: 'chat' } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming),
    );
    assert.equal(error.param, 'messages');
    assert.match(error.message, /messages: required/);
  });

  it('refuses a body that is not JSON, or not an object, with 400 and no param', async () => {
    for (const body of ['{"model": "chat",', '[1, 2]', '']) {
      const response = await postRaw(sluice.url, body);
      assert.equal(response.status, 400);
      const { error } = (await response.json()) as { error: Record<string, unknown> };
      assert.equal(error.code, 'bad_request');
      assert.equal(error.param, null);
    }
  });

  it('answers an unknown model with 404 not_found', async () => {
    const error = await apiError(() =>
      client.chat.completions.create({ model: 'gpt-9', messages: user('Hi') }),
    );
    assert.ok(error instanceof OpenAI.NotFoundError);
    assert.equal(error.code, 'not_found');
    assert.match(error.message, /gpt-9/);
  });

  it('refuses a body over server.max_body_bytes with 413 too_large, and serves the next request', async () => {
    const error = await apiError(() =>
      client.chat.completions.create({ model: 'chat', messages: user('x'.repeat(10_000)) }),
    );
    assert.equal(error.status, 413);
    assert.equal(error.code, 'too_large');
    const completion = await client.chat.completions.create({ model: 'chat', messages: user('Hi') });
    assert.equal(completion.choices[0]?.message.content, 'fine');
  });

  it('refuses a chunked body (no content-length) once it passes the limit', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        `${sluice.url}/v1/chat/completions`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${sluiceApiKey}`,
            'content-type': 'application/json',
            'transfer-encoding': 'chunked',
          },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk) => {
            text += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
        },
      );
      request.on('error', reject);
      const piece = JSON.stringify({ model: 'chat', messages: user('y'.repeat(1000)) });
      for (let index = 0; index < 5; index++) request.write(piece);
      request.end();
    });
    assert.equal(status, 413);
    assert.equal(JSON.parse(body).error.code, 'too_large');
  });

  it('still answers the routes that were there before', async () => {
    assert.equal((await fetch(`${sluice.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${sluice.url}/readyz`)).status, 200);
    const usage = await fetch(`${sluice.url}/v1/usage`, {
      headers: { authorization: `Bearer ${sluiceApiKey}` },
    });
    assert.equal(usage.status, 200);
    assert.equal(((await usage.json()) as { user: string }).user, 'key:tester');
  });
});

describe('HTTP door: quotas', () => {
  const messages = [{ role: 'user' as const, content: 'Tell me a story.' }];
  let metered: MeteredUpstream;
  before(async () => {
    metered = await startMeteredUpstream({ replyTokens: 100 });
  });
  after(() => metered.close());

  const start = (plan: Record<string, unknown>) =>
    startTestSluice({
      providers: { story: { type: 'openai-compatible', base_url: metered.baseUrl } },
      models: { story: { target: { provider: 'story', model: 'story-1' } } },
      plans: { default: plan },
      auth: authWithKey(),
    });

  it('refuses a request past the allowance with 429 quota_exceeded and retry-after', async () => {
    const sluice = await start({ tokens_per_day: 5 });
    try {
      const error = await apiError(() =>
        sdkClient(`${sluice.url}/v1`, sluiceApiKey).chat.completions.create({ model: 'story', messages }),
      );
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.code, 'quota_exceeded');
      const retryAfter = Number(error.headers?.get('retry-after'));
      assert.ok(
        Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 86_400,
        `retry-after ${retryAfter}`,
      );
    } finally {
      await sluice.close();
    }
  });

  it('ends a reply cut at the allowance with finish_reason length and the usage so far', async () => {
    const sluice = await start({ tokens_per_day: countMessageTokens(messages) + 30 });
    try {
      const stream = await sdkClient(`${sluice.url}/v1`, sluiceApiKey).chat.completions.create({
        model: 'story',
        messages,
        max_tokens: 100,
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = await readChunks(stream);
      const finish = chunks.find((chunk) => chunk.choices[0]?.finish_reason);
      assert.equal(finish?.choices[0]?.finish_reason, 'length');
      assert.equal(chunks.at(-1)?.usage?.completion_tokens, 30);
      const line = sluice.logLines().find((entry) => entry.event === 'request_end');
      assert.equal(line?.outcome, 'quota', 'the log keeps Sluice’s own reason');
    } finally {
      await sluice.close();
    }
  });
});
