import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { sseProvider } from '../../../providers/sse/index.ts';
import { sseConfigSchema } from '../../../providers/sse/sse-config-schema.ts';
import { startFakeHttpServer } from '../../fakes/fake-http-server.ts';
import { arrivesIn, nextRequestSocket } from '../../helpers/upstream-socket.ts';

test('sse provider: a consumer that falls behind leaves the next event in the upstream socket', async () => {
  const writes = ['data: a\n\n', 'data: b\n\n', 'data: c\n\n', 'data: d\n\ndata: [DONE]\n\n'];
  const upstream = Promise.withResolvers<ServerResponse>();
  const fake = await startFakeHttpServer((_request, response) => {
    // A known length rather than chunks, so the socket holds nothing but the events.
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'content-length': Buffer.byteLength(writes.join('')),
    });
    response.write(writes[0]);
    upstream.resolve(response);
  });
  after(() => fake.close());
  const config = sseConfigSchema.parse({ type: 'sse', url: fake.url, text_path: '' });
  const adapter = sseProvider.create(config, { name: 'generic' });
  const socket = nextRequestSocket();
  const parts = await adapter.stream(
    { model: 'm', messages: [{ role: 'user', content: 'Hi' }] },
    { signal: new AbortController().signal, log: pino({ level: 'silent' }), requestId: 'r' },
  );
  const iterator = parts[Symbol.asyncIterator]();
  assert.deepEqual((await iterator.next()).value, { type: 'text-delta', text: 'a' });

  // 'b' waits unasked; 'c' arrives behind it, and the body pauses after it.
  const response = await upstream.promise;
  await arrivesIn(await socket, () => response.write(writes[1]));
  await arrivesIn(await socket, () => response.write(writes[2]));
  await arrivesIn(await socket, () => response.end(writes[3]));
  assert.equal((await socket).readableLength, Buffer.byteLength(writes[3]!));

  assert.deepEqual((await iterator.next()).value, { type: 'text-delta', text: 'b' });
  assert.deepEqual((await iterator.next()).value, { type: 'text-delta', text: 'c' });
  assert.deepEqual((await iterator.next()).value, { type: 'text-delta', text: 'd' });
  assert.equal((await socket).readableLength, 0);
  assert.equal((await iterator.next()).value?.type, 'finish');
  assert.deepEqual(await iterator.next(), { done: true, value: undefined });
});
