import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { WebSocket, WebSocketServer } from 'ws';
import type { PartHandler } from '../../../providers/shared/pushed-parts.ts';
import { readSocketParts } from '../../../providers/websocket/read-socket-parts.ts';

/** A loopback server that sends each connection `frames` as fast as it can, then closes it unless told to stay open. */
async function startSender(frames: Array<string | Buffer>, { stayOpen = false } = {}): Promise<string> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  after(() => {
    for (const client of server.clients) client.terminate();
    return new Promise((resolve) => server.close(resolve));
  });
  server.on('connection', (socket) => {
    for (const frame of frames) socket.send(frame, { binary: false });
    if (!stayOpen) socket.close(1000);
  });
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Each message is one part; `end` ends the stream, `fail` fails it; `last` is queued at the end. */
const handler: PartHandler<string, string> = {
  event(data, parts) {
    if (data === 'fail') throw new Error('the upstream reported a failure');
    if (data === 'end') return true;
    parts.push(data);
    return false;
  },
  end(parts) {
    parts.push('last');
  },
};

async function collect(parts: AsyncIterable<string>): Promise<string[]> {
  const read: string[] = [];
  for await (const part of parts) read.push(part);
  return read;
}

describe('readSocketParts', () => {
  test('pauses the socket while the high-water mark of parts waits unread, and delivers all in order', async () => {
    const sent = Array.from({ length: 300 }, (_, index) => `message ${index}`);
    const socket = new WebSocket(await startSender(sent));
    const parts = readSocketParts(socket, handler, 8);
    let received = 0;
    let consumed = 0;
    let pausedAtHighWater = 0;
    socket.on('message', () => {
      received++;
      // One part may be handed out and not yet counted as consumed: the loop's body has not run.
      if (received - consumed > 8) {
        assert.equal(socket.isPaused, true, `${received - consumed} parts wait unread`);
        pausedAtHighWater++;
      }
    });
    const read: string[] = [];
    for await (const part of parts) {
      consumed++;
      read.push(part);
      // A slow consumer: let the socket deliver whatever it will before the next read.
      await nextTurn();
    }
    assert.deepEqual(read, [...sent, 'last']);
    assert.ok(pausedAtHighWater > 0, 'the queue reached its high-water mark at least once');
  });

  test('resumes a paused socket once the consumer has taken every part and asks for more', async () => {
    const socket = new WebSocket(await startSender(['a', 'b', 'c'], { stayOpen: true }));
    const parts = readSocketParts(socket, handler, 2);
    const first = parts.next();
    assert.deepEqual(await first, { done: false, value: 'a' });
    while (!socket.isPaused) await nextTurn();
    assert.deepEqual(await parts.next(), { done: false, value: 'b' });
    assert.deepEqual(await parts.next(), { done: false, value: 'c' });
    const waiting = parts.next();
    assert.equal(socket.isPaused, false);
    await parts.return?.();
    assert.deepEqual(await waiting, { done: true, value: undefined });
  });

  test('ends when the socket closes, even with nothing sent', async () => {
    const socket = new WebSocket(await startSender([]));
    assert.deepEqual(await collect(readSocketParts(socket, handler, 8)), ['last']);
  });

  test('an ending message queues the last parts and closes the socket normally', async () => {
    const socket = new WebSocket(await startSender(['a', 'end', 'never'], { stayOpen: true }));
    const closed = once(socket, 'close');
    assert.deepEqual(await collect(readSocketParts(socket, handler, 8)), ['a', 'last']);
    const [code] = await closed;
    assert.equal(code, 1000);
  });

  test('return() before the end terminates the socket', async () => {
    const socket = new WebSocket(await startSender(['a', 'b'], { stayOpen: true }));
    const closed = once(socket, 'close');
    const parts = readSocketParts(socket, handler, 8);
    assert.deepEqual(await parts.next(), { done: false, value: 'a' });
    assert.deepEqual(await parts.return?.(), { done: true, value: undefined });
    const [code] = await closed;
    assert.equal(code, 1006);
    assert.deepEqual(await parts.next(), { done: true, value: undefined });
  });

  test('throws the socket error after the parts of the messages that arrived before it', async () => {
    const invalidUtf8 = Buffer.from([0xff, 0xfe]);
    const socket = new WebSocket(await startSender(['first', invalidUtf8]));
    const read: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const part of readSocketParts(socket, handler, 8)) read.push(part);
      })(),
      { code: 'WS_ERR_INVALID_UTF8' },
    );
    assert.deepEqual(read, ['first']);
  });

  test('a handler that throws fails the stream after the parts before it, and terminates the socket', async () => {
    const socket = new WebSocket(await startSender(['a', 'fail', 'never'], { stayOpen: true }));
    const closed = once(socket, 'close');
    const parts = readSocketParts(socket, handler, 8);
    assert.deepEqual(await parts.next(), { done: false, value: 'a' });
    await assert.rejects(parts.next(), /reported a failure/);
    const [code] = await closed;
    assert.equal(code, 1006);
    assert.deepEqual(await parts.next(), { done: true, value: undefined });
  });
});
