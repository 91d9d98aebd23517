import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createChatCompletionsRoute } from '../../../src/http-door/chat-completions.ts';
import { createLogger } from '../../../src/log/create-logger.ts';
import type { Gateway } from '../../../src/pipeline/create-gateway.ts';
import type { EventSink } from '../../../src/pipeline/request-record.ts';

const identity = { user: 'key:tester', plan: 'default', kind: 'api_key' as const, admin: false };

/** Serves `POST /v1/chat/completions` through a gateway whose pipeline is `runChat`. */
async function serveThrough(runChat: (emit: EventSink) => Promise<void>) {
  const log = createLogger({ level: 'fatal', destination: { write: () => {} } });
  const gateway = { runChat: (_request, _context, emit) => runChat(emit) } as Pick<
    Gateway,
    'runChat'
  > as Gateway;
  const route = createChatCompletionsRoute({ gateway, log, maxBodyBytes: 1_000_000 });
  const server = createServer((request, response) => void route(identity, request, response));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
  const post = (stream: boolean) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo', stream, messages: [{ role: 'user', content: 'Hi' }] }),
    });
  return { post, close: () => server.close() };
}

describe('POST /v1/chat/completions when the pipeline fails inside Sluice', () => {
  it('answers 500 with an internal error, carrying the request id, when nothing was sent yet', async () => {
    const served = await serveThrough(async () => {
      throw new Error('a bug in a stage');
    });
    try {
      const response = await served.post(false);
      assert.equal(response.status, 500);
      assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      const body = (await response.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'internal');
    } finally {
      served.close();
    }
  });

  it('ends a stream already under way with one SSE error event', async () => {
    const served = await serveThrough(async (emit) => {
      await emit({ type: 'start', model: 'demo', provider: 'demo', cached: false, warnings: [] });
      await emit({ type: 'text-delta', text: 'Hel' });
      throw new Error('a bug in a stage');
    });
    try {
      const response = await served.post(true);
      assert.equal(response.status, 200);
      const text = await response.text();
      const events = text.split('\n\n').filter((event) => event.startsWith('data: '));
      assert.match(events.at(-1) ?? '', /"code":"internal"/, 'the stream ends with the error');
      assert.equal(events.filter((event) => event.includes('"error"')).length, 1);
      assert.ok(!text.includes('[DONE]'), 'a failed stream does not claim to be done');
    } finally {
      served.close();
    }
  });
});
