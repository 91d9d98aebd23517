import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { createFetchOverUndiciDispatcher } from '../../../../providers/shared/fetch-over-undici-dispatcher.ts';
import {
  type EventStreamHandler,
  readEventStreamBody,
} from '../../../../providers/shared/read-event-stream-body.ts';
import { arrivesIn, nextRequestSocket } from '../../../helpers/upstream-socket.ts';

/** Each event's data is one part; data `end` ends the stream, data `fail` fails it; `last` is queued at the end. */
const handler: EventStreamHandler<string> = {
  event(event, parts) {
    if (event.data === 'fail') throw new Error('the upstream reported a failure');
    if (event.data === 'end') return true;
    parts.push(event.data);
    return false;
  },
  end(parts) {
    parts.push('last');
  },
};

/** A body the test writes network reads into, and a reader over it. */
function reader(options = { drainAfterEnd: false }, maxBufferSize?: number) {
  const body = new PassThrough();
  const response = { body, headers: new Headers() } as unknown as Response;
  return { body, parts: readEventStreamBody(response, handler, { ...options, maxBufferSize }) };
}

/** Writes one network read and lets the reader see it. */
async function read(body: PassThrough, text: string): Promise<void> {
  body.write(text);
  await turn();
}

const event = (data: string) => `data: ${data}\n\n`;
const part = (value: string) => ({ done: false, value });
const over = { done: true, value: undefined };

describe('readEventStreamBody', () => {
  it('reads nothing before the first next()', async () => {
    const { body } = reader();
    await read(body, event('a'));
    assert.equal(body.listenerCount('data'), 0);
    assert.ok(body.readableLength > 0);
  });

  it('pauses the body while the consumer falls behind, and resumes when it asks again', async () => {
    const { body, parts } = reader();
    const first = parts.next();
    await read(body, event('a'));
    assert.deepEqual(await first, part('a'));

    await read(body, event('b'));
    // 'c' arrives while 'b' waits unasked: the body pauses after it, and 'd' stays in the body.
    await read(body, event('c'));
    await read(body, event('d'));
    assert.equal(body.isPaused(), true);
    assert.ok(body.readableLength > 0, 'the read after the pause stays in the body');

    for (const value of ['b', 'c', 'd']) assert.deepEqual(await parts.next(), part(value));
    const next = parts.next();
    assert.equal(body.isPaused(), false);
    await read(body, event('e'));
    assert.deepEqual(await next, part('e'));
  });

  it('return() before the end destroys the body and ends the parts', async () => {
    const { body, parts } = reader();
    const first = parts.next();
    await read(body, event('a') + event('b'));
    await first;

    assert.deepEqual(await parts.return?.(), over);
    assert.equal(body.destroyed, true);
    assert.deepEqual(await parts.next(), over);
  });

  it('return() while a next() waits settles that next() as done', async () => {
    const { body, parts } = reader();
    const waiting = parts.next();
    await turn();
    await parts.return?.();
    assert.deepEqual(await waiting, over);
    assert.equal(body.destroyed, true);
  });

  it('an error from the body after the first part is thrown after the parts before it', async () => {
    const { body, parts } = reader();
    const first = parts.next();
    await read(body, event('a') + event('b'));
    assert.deepEqual(await first, part('a'));
    body.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await turn();

    assert.deepEqual(await parts.next(), part('b'));
    await assert.rejects(parts.next(), { code: 'ECONNRESET' });
    assert.deepEqual(await parts.next(), over);
  });

  it('a handler that throws fails the stream after the parts queued before, and destroys the body', async () => {
    const { body, parts } = reader({ drainAfterEnd: true });
    const first = parts.next();
    await read(body, event('a') + event('fail') + event('never'));

    assert.deepEqual(await first, part('a'));
    await assert.rejects(parts.next(), /reported a failure/);
    assert.equal(body.destroyed, true);
    assert.deepEqual(await parts.next(), over);
  });

  it('an ending event queues the last parts and, without drainAfterEnd, destroys the body', async () => {
    const { body, parts } = reader();
    const first = parts.next();
    await read(body, event('a') + event('end') + event('never'));

    assert.deepEqual(await first, part('a'));
    assert.deepEqual(await parts.next(), part('last'));
    assert.deepEqual(await parts.next(), over);
    assert.equal(body.destroyed, true);
  });

  it('an ending event with drainAfterEnd leaves the body flowing, not destroyed', async () => {
    const { body, parts } = reader({ drainAfterEnd: true });
    const first = parts.next();
    await read(body, event('a') + event('end'));

    assert.deepEqual(await first, part('a'));
    assert.deepEqual(await parts.next(), part('last'));
    assert.deepEqual(await parts.return?.(), over);
    assert.equal(body.destroyed, false);
    assert.equal(body.isPaused(), false);
  });

  it('the end of the body queues the last parts', async () => {
    const { body, parts } = reader();
    const first = parts.next();
    body.end(event('a'));

    assert.deepEqual(await first, part('a'));
    assert.deepEqual(await parts.next(), part('last'));
    assert.deepEqual(await parts.next(), over);
  });

  it('an event beyond maxBufferSize fails the stream after the parts before it', async () => {
    const { body, parts } = reader({ drainAfterEnd: false }, 64);
    const first = parts.next();
    await read(body, `${event('a')}data: ${'x'.repeat(100)}`);

    assert.deepEqual(await first, part('a'));
    await assert.rejects(parts.next(), { type: 'max-buffer-size-exceeded' });
    assert.equal(body.destroyed, true);
  });

  it('a closed body without an end fails as a premature close', async () => {
    const { body, parts } = reader();
    const first = parts.next();
    await read(body, event('a'));
    assert.deepEqual(await first, part('a'));
    body.destroy();
    await turn();

    await assert.rejects(parts.next(), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });
});

describe('readEventStreamBody over Sluice’s own fetch', () => {
  it('a consumer that falls behind leaves the next read in the socket, so the upstream feels it', async (t) => {
    const events = ['a', 'b', 'c', 'd'].map(event);
    let upstream: ServerResponse | undefined;
    const server = createServer((_request, response) => {
      // A known length rather than chunks, so the socket holds nothing but the events.
      response.writeHead(200, { 'content-length': Buffer.byteLength(events.join('')) }).flushHeaders();
      upstream = response;
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const socket = nextRequestSocket();
    const response = await createFetchOverUndiciDispatcher()(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    );
    const parts = readEventStreamBody(response, handler, { drainAfterEnd: false });
    const first = parts.next();
    upstream?.write(events[0]);
    assert.deepEqual(await first, part('a'));

    // 'b' waits unasked; 'c' arrives behind it, and the body pauses after it.
    await arrivesIn(await socket, () => upstream?.write(events[1]));
    await arrivesIn(await socket, () => upstream?.write(events[2]));
    await arrivesIn(await socket, () => upstream?.write(events[3]));
    assert.equal((await socket).readableLength, Buffer.byteLength(events[3]!));

    assert.deepEqual(await parts.next(), part('b'));
    assert.deepEqual(await parts.next(), part('c'));
    upstream?.end();
    assert.deepEqual(await parts.next(), part('d'));
    assert.equal((await socket).readableLength, 0);
    assert.deepEqual(await parts.next(), part('last'));
    assert.deepEqual(await parts.next(), over);
  });
});
