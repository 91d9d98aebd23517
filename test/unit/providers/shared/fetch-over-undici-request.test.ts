import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createFetchOverUndiciRequest } from '../../../../providers/shared/fetch-over-undici-request.ts';

type Route = (request: IncomingMessage, body: string, response: ServerResponse) => void;

describe('fetch over undici request', () => {
  const routes = new Map<string, Route>();
  let server: Server;
  let baseUrl: string;
  const fetchOverRequest = createFetchOverUndiciRequest();

  before(async () => {
    server = createServer(async (request, response) => {
      let body = '';
      for await (const chunk of request) body += chunk;
      routes.get(request.url ?? '')?.(request, body, response);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends the method, the headers in every HeadersInit form and a string body; gives status, headers and text', async () => {
    const seen: { method?: string; headers: IncomingMessage['headers']; body: string }[] = [];
    routes.set('/echo', (request, body, response) => {
      seen.push({ method: request.method, headers: request.headers, body });
      response.writeHead(201, { 'content-type': 'text/plain', 'x-request-id': 'up-1' }).end('made');
    });
    const forms: RequestInit['headers'][] = [
      new Headers({ 'x-trace': 'a' }),
      { 'x-trace': 'a' },
      [['x-trace', 'a']],
    ];
    for (const headers of forms) {
      const response = await fetchOverRequest(`${baseUrl}/echo`, {
        method: 'post',
        headers,
        body: '{"q":1}',
      });
      assert.equal(response.status, 201);
      assert.equal(response.ok, true);
      assert.equal(response.statusText, 'Created');
      assert.equal(response.url, `${baseUrl}/echo`);
      assert.equal(response.headers.get('x-request-id'), 'up-1');
      assert.equal(await response.text(), 'made');
    }
    assert.deepEqual(
      seen.map(({ method, headers, body }) => [method, headers['x-trace'], body]),
      [
        ['POST', 'a', '{"q":1}'],
        ['POST', 'a', '{"q":1}'],
        ['POST', 'a', '{"q":1}'],
      ],
    );
  });

  it('gives an error status with ok false and its JSON body', async () => {
    routes.set('/limited', (_request, _body, response) => {
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
      response.end('{"error":{"message":"slow down"}}');
    });
    const response = await fetchOverRequest(new URL(`${baseUrl}/limited`));
    assert.equal(response.ok, false);
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '2');
    assert.deepEqual(await response.json(), { error: { message: 'slow down' } });
  });

  it('hands each part of the body on as it arrives, as an async-iterable stream', async () => {
    let sendSecond: () => void = () => {};
    routes.set('/stream', (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: one\n\n');
      sendSecond = () => response.end('data: two\n\n');
    });
    const response = await fetchOverRequest(`${baseUrl}/stream`);
    const chunks = (response.body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    // The second part is only written once the first has been read: a buffered body would hang here.
    assert.equal(Buffer.from((await chunks.next()).value).toString(), 'data: one\n\n');
    sendSecond();
    assert.equal(Buffer.from((await chunks.next()).value).toString(), 'data: two\n\n');
    assert.equal((await chunks.next()).done, true);
  });

  it('asks for an uncompressed reply, and decodes one the server compressed anyway', async () => {
    routes.set('/gzip', (request, _body, response) => {
      assert.equal(request.headers['accept-encoding'], 'identity');
      response.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('plain text'));
    });
    assert.equal(await (await fetchOverRequest(`${baseUrl}/gzip`)).text(), 'plain text');
  });

  it('refuses a reply in an encoding it cannot decode, rather than pass on its bytes', async () => {
    routes.set('/odd', (_request, _body, response) => {
      response.writeHead(200, { 'content-encoding': 'compress' }).end('?');
    });
    await assert.rejects(fetchOverRequest(`${baseUrl}/odd`), /unsupported Content-Encoding: compress/);
  });

  it('closes the connection when the signal aborts during the body, and the reader sees the abort', async () => {
    let serverSide: ServerResponse | undefined;
    routes.set('/endless', (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' }).write('data: first\n\n');
      serverSide = response;
    });
    const abort = new AbortController();
    const response = await fetchOverRequest(`${baseUrl}/endless`, { signal: abort.signal });
    const chunks = (response.body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    await chunks.next();
    const closed = once(serverSide as ServerResponse, 'close');
    abort.abort();
    await assert.rejects(chunks.next(), { name: 'AbortError' });
    await closed;
  });

  it('sends any other kind of body through Node’s own fetch', async () => {
    routes.set('/form', (request, body, response) => {
      response.end(`${request.headers['content-type']} ${body}`);
    });
    const response = await fetchOverRequest(`${baseUrl}/form`, {
      method: 'POST',
      body: new URLSearchParams({ a: '1' }),
    });
    assert.equal(await response.text(), 'application/x-www-form-urlencoded;charset=UTF-8 a=1');
  });
});
