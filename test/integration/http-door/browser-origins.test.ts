import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { ConfigError } from '../../../src/errors/config-error.ts';
import { startTestSluice, type TestSluice, testConfig } from '../../helpers/start-test-sluice.ts';

const chat = JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'Hi' }] });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with exactly these headers (Host and Origin included, as a browser would send them). */
function send(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
) {
  return new Promise<Answer>((resolve, reject) => {
    const request = httpRequest(
      `${url}${options.path ?? '/v1/chat/completions'}`,
      { method: options.method ?? 'POST', headers: options.headers, agent: false },
      (response) => {
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Posts the demo chat as JSON with these extra headers. */
const postChat = (url: string, headers: Record<string, string>) =>
  send(url, { headers: { 'content-type': 'application/json', ...headers }, body: chat });

/** How a WebSocket handshake with these headers ends: `open`, or the status it was refused with. */
function handshake(wsUrl: string, headers: Record<string, string>) {
  return new Promise<'open' | number>((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'sluice.v1', { headers });
    socket.on('open', () => {
      resolve('open');
      socket.close();
    });
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('error', reject);
  });
}

const errorCode = (answer: Answer) => (JSON.parse(answer.body) as { error: { code: string } }).error.code;
const chatsRun = (sluice: TestSluice) =>
  sluice.logLines().filter((line) => line.msg === 'request end').length;

describe('browser origins with server.allowed_origins not set: only Sluice’s own', () => {
  let sluice: TestSluice;
  let own: string;
  before(async () => {
    sluice = await startTestSluice();
    own = sluice.url;
  });
  after(async () => {
    await sluice?.close();
  });

  it('accepts its own origin (the chat page’s) and clients that send no Origin, on both doors', async () => {
    assert.equal(await handshake(sluice.wsUrl, { origin: own }), 'open');
    assert.equal(await handshake(sluice.wsUrl, {}), 'open');
    const byName = `localhost:${new URL(own).port}`;
    assert.equal(await handshake(sluice.wsUrl, { host: byName, origin: `http://${byName}` }), 'open');
    assert.equal((await postChat(sluice.url, { origin: own })).status, 200);
    assert.equal((await postChat(sluice.url, {})).status, 200);
    assert.equal(
      (await send(sluice.url, { method: 'GET', path: '/v1/models', headers: { origin: own } })).status,
      200,
    );
  });

  it('refuses another origin with 403: the WebSocket handshake and every /v1/ route, and runs no chat', async () => {
    const before = chatsRun(sluice);
    for (const origin of ['https://evil.example', `http://localhost:${new URL(own).port}`, 'null']) {
      assert.equal(await handshake(sluice.wsUrl, { origin }), 403, origin);
      const posted = await postChat(sluice.url, { origin });
      assert.equal(posted.status, 403, origin);
      assert.equal(errorCode(posted), 'forbidden');
      for (const path of ['/v1/models', '/v1/usage']) {
        assert.equal(
          (await send(sluice.url, { method: 'GET', path, headers: { origin } })).status,
          403,
          path,
        );
      }
    }
    assert.equal(chatsRun(sluice), before);
  });

  it('refuses a page whose DNS name rebinds to loopback, though its Host and Origin agree', async () => {
    const rebound = `evil.example:${new URL(own).port}`;
    const headers = { host: rebound, origin: `http://${rebound}` };
    assert.equal(await handshake(sluice.wsUrl, headers), 403);
    assert.equal((await postChat(sluice.url, headers)).status, 403);
  });

  it('answers a POST to /v1/ whose body is not application/json with 415 bad_request, and runs no chat', async () => {
    const before = chatsRun(sluice);
    const asText = await send(sluice.url, { headers: { 'content-type': 'text/plain' }, body: chat });
    assert.equal(asText.status, 415);
    assert.equal(errorCode(asText), 'bad_request');
    assert.equal((await send(sluice.url, { body: chat })).status, 415, 'no Content-Type at all');
    const form = await send(sluice.url, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: chat,
    });
    assert.equal(form.status, 415);
    assert.equal(chatsRun(sluice), before);
    const withCharset = await postChat(sluice.url, { 'content-type': 'Application/JSON; charset=utf-8' });
    assert.equal(withCharset.status, 200);
  });

  it('answers no CORS preflight: a page on another origin may not even ask', async () => {
    const preflight = await send(sluice.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  });
});

describe('browser origins with server.allowed_origins set', () => {
  let sluice: TestSluice;
  let anyOrigin: TestSluice;
  before(async () => {
    sluice = await startTestSluice({ server: { allowed_origins: ['https://chat.example'] } });
    anyOrigin = await startTestSluice({ server: { allowed_origins: ['*'] } });
  });
  after(async () => {
    await sluice?.close();
    await anyOrigin?.close();
  });

  it('accepts exactly the listed origins and no-Origin clients; every other origin, its own too, gets 403', async () => {
    const listed = { origin: 'https://chat.example' };
    assert.equal(await handshake(sluice.wsUrl, listed), 'open');
    assert.equal(await handshake(sluice.wsUrl, {}), 'open');
    assert.equal((await postChat(sluice.url, listed)).status, 200);
    for (const origin of ['https://chat.example.evil', 'http://chat.example', sluice.url]) {
      assert.equal(await handshake(sluice.wsUrl, { origin }), 403, origin);
      assert.equal((await postChat(sluice.url, { origin })).status, 403, origin);
    }
  });

  it('answers CORS for a listed origin: the preflight, and Access-Control-Allow-Origin on replies and errors', async () => {
    const preflight = await send(sluice.url, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://chat.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://chat.example');
    assert.equal(preflight.headers['access-control-allow-methods'], 'GET, POST');
    assert.equal(preflight.headers['access-control-allow-headers'], 'authorization, content-type');
    assert.equal(preflight.headers['access-control-allow-credentials'], undefined, 'no cookies');

    const reply = await postChat(sluice.url, { origin: 'https://chat.example' });
    assert.equal(reply.headers['access-control-allow-origin'], 'https://chat.example');
    assert.equal(reply.headers.vary, 'Origin');
    const refusal = await send(sluice.url, {
      headers: { origin: 'https://chat.example', 'content-type': 'text/plain' },
      body: chat,
    });
    assert.equal(refusal.status, 415);
    assert.equal(refusal.headers['access-control-allow-origin'], 'https://chat.example');
    assert.equal((await postChat(sluice.url, {})).headers['access-control-allow-origin'], undefined);
  });

  it('accepts any origin with ["*"], naming it in Access-Control-Allow-Origin', async () => {
    const origin = { origin: 'https://anywhere.example' };
    assert.equal(await handshake(anyOrigin.wsUrl, origin), 'open');
    const reply = await postChat(anyOrigin.url, origin);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['access-control-allow-origin'], 'https://anywhere.example');
  });

  it('refuses at load an empty list and an entry that is not an origin', () => {
    for (const allowed of [[], ['https://chat.example/'], ['chat.example'], ['https://chat.example/app']]) {
      assert.throws(
        () => testConfig({ server: { allowed_origins: allowed } }),
        ConfigError,
        JSON.stringify(allowed),
      );
    }
  });
});
