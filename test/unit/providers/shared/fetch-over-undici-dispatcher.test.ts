import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import OpenAI from 'openai';
import {
  createFetchOverUndiciDispatcher,
  ReplyBody,
  type ReplyFlow,
} from '../../../../providers/shared/fetch-over-undici-dispatcher.ts';

type Route = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** Takes a reply body's reads, recording each as `data: <text>`, `end` or `error: <name>` for `next()` to give in order. */
function takeReads(response: Response, onData: (flow: ReplyFlow) => void = () => {}) {
  const recorded: string[] = [];
  let arrived = Promise.withResolvers<void>();
  const record = (what: string) => {
    recorded.push(what);
    arrived.resolve();
  };
  assert.ok(response.body instanceof ReplyBody);
  const flow = response.body.takeReads({
    data: (chunk) => {
      record(`data: ${chunk}`);
      onData(flow);
    },
    end: () => record('end'),
    error: (error) => record(`error: ${error.name}`),
  }) as ReplyFlow;
  assert.ok(flow);
  return {
    flow,
    recorded,
    /** The next thing recorded, once it is. */
    async next(): Promise<string> {
      while (recorded.length === 0) {
        await arrived.promise;
        arrived = Promise.withResolvers();
      }
      return recorded.shift()!;
    },
  };
}

describe('fetch over undici dispatcher', () => {
  const routes = new Map<string, Route>();
  let server: Server;
  let baseUrl: string;
  const fetchOverRequest = createFetchOverUndiciDispatcher();

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

  it('refuses a reply whose Content-Encoding names a property every object inherits', async () => {
    routes.set('/inherited', (_request, _body, response) => {
      response.writeHead(200, { 'content-encoding': 'constructor' }).end('?');
    });
    await assert.rejects(
      fetchOverRequest(`${baseUrl}/inherited`),
      /unsupported Content-Encoding: constructor/,
    );
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

  it('a reader that takes the reads gets those that came before at its first resume, then each as it comes, then the end', async () => {
    let sendSecond: () => void = () => {};
    routes.set('/taken', (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: one\n\n');
      sendSecond = () => response.end('data: two\n\n');
    });
    const response = await fetchOverRequest(`${baseUrl}/taken`);
    const reads = takeReads(response);
    assert.deepEqual(reads.recorded, [], 'nothing is handed over before the first resume');
    reads.flow.resume();
    assert.equal(await reads.next(), 'data: data: one\n\n');
    sendSecond();
    assert.equal(await reads.next(), 'data: data: two\n\n');
    assert.equal(await reads.next(), 'end');
    // Taken reads are not read again as a stream.
    assert.equal(
      (response.body as unknown as ReplyBody).takeReads({ data() {}, end() {}, error() {} }),
      undefined,
    );
  });

  it('drain() reads the rest of the body and keeps the connection for the next request', async () => {
    const connections = new Set<unknown>();
    routes.set('/drained', (request, _body, response) => {
      connections.add(request.socket);
      response.writeHead(200).write('data: one\n\n');
      setImmediate(() => response.end('data: the rest\n\n'));
    });
    for (let attempt = 0; attempt < 4; attempt++) {
      const reads = takeReads(await fetchOverRequest(`${baseUrl}/drained`));
      reads.flow.resume();
      assert.equal(await reads.next(), 'data: data: one\n\n');
      reads.flow.drain();
    }
    // The pool may open a second connection while the first is being released, never one per request.
    assert.ok(connections.size <= 2, `4 requests used ${connections.size} connections`);
  });

  it('close() closes the connection, and nothing more is handed over', async () => {
    let serverSide: ServerResponse | undefined;
    routes.set('/closed', (_request, _body, response) => {
      response.writeHead(200).write('data: one\n\n');
      serverSide = response;
    });
    const response = await fetchOverRequest(`${baseUrl}/closed`);
    const reads = takeReads(response);
    reads.flow.resume();
    await reads.next();
    const closed = once(serverSide as ServerResponse, 'close');
    reads.flow.close();
    await closed;
    assert.deepEqual(reads.recorded, []);
  });

  it('taken reads get the signal’s abort as their error, and the connection closes', async () => {
    let serverSide: ServerResponse | undefined;
    routes.set('/aborted', (_request, _body, response) => {
      response.writeHead(200).write('data: one\n\n');
      serverSide = response;
    });
    const abort = new AbortController();
    const response = await fetchOverRequest(`${baseUrl}/aborted`, { signal: abort.signal });
    const reads = takeReads(response);
    reads.flow.resume();
    await reads.next();
    const closed = once(serverSide as ServerResponse, 'close');
    abort.abort();
    assert.equal(await reads.next(), 'error: AbortError');
    await closed;
  });

  it('a body read whole after more came than is held before anyone reads it arrives complete', async () => {
    const whole = 'x'.repeat(4 * 1024 * 1024);
    routes.set('/large', (_request, _body, response) => {
      response.writeHead(200).end(whole);
    });
    const response = await fetchOverRequest(`${baseUrl}/large`);
    assert.equal(await response.text(), whole);
  });

  it('the OpenAI SDK reads a whole reply and an error reply through it', async () => {
    routes.set('/v1/chat/completions', (_request, body, response) => {
      if (JSON.parse(body).model === 'missing') {
        response.writeHead(404, { 'content-type': 'application/json', 'x-request-id': 'up-9' });
        response.end('{"error":{"message":"The model does not exist","type":"invalid_request_error"}}');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' }],
        }),
      );
    });
    const client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: `${baseUrl}/v1`,
      maxRetries: 0,
      fetch: fetchOverRequest,
    });
    const completion = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    assert.equal(completion.choices[0]?.message.content, 'Hello');
    await assert.rejects(
      client.chat.completions.create({ model: 'missing', messages: [{ role: 'user', content: 'Hi' }] }),
      (error: InstanceType<typeof OpenAI.APIError>) => {
        assert.equal(error.status, 404);
        assert.equal(error.message, '404 The model does not exist');
        assert.equal(error.headers?.get('x-request-id'), 'up-9');
        return true;
      },
    );
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
