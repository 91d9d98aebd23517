import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { WebSocket, WebSocketServer } from 'ws';
import { readSocketMessages } from '../../../providers/websocket/read-socket-messages.ts';

/** A loopback server that sends each connection `frames` as fast as it can, then closes it. */
async function startSender(frames: Array<string | Buffer>): Promise<string> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  after(() => new Promise((resolve) => server.close(resolve)));
  server.on('connection', (socket) => {
    for (const frame of frames) socket.send(frame, { binary: false });
    socket.close(1000);
  });
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('readSocketMessages', () => {
  test('pauses the socket while the high-water mark of messages waits unread, and delivers all in order', async () => {
    const sent = Array.from({ length: 300 }, (_, index) => `message ${index}`);
    const socket = new WebSocket(await startSender(sent));
    const messages = readSocketMessages(socket, 8);
    let received = 0;
    let consumed = 0;
    let pausedAtHighWater = 0;
    socket.on('message', () => {
      received++;
      if (received - consumed >= 8) {
        assert.equal(socket.isPaused, true, `${received - consumed} messages wait unread`);
        pausedAtHighWater++;
      }
    });
    const read: string[] = [];
    for await (const message of messages) {
      consumed++;
      // A closed socket cannot resume, and needs not.
      if (received - consumed <= 4 && socket.readyState !== WebSocket.CLOSED) {
        assert.equal(socket.isPaused, false, 'resumed once half drained');
      }
      read.push(message);
      // A slow consumer: let the socket deliver whatever it will before the next read.
      await nextTurn();
    }
    assert.deepEqual(read, sent);
    assert.ok(pausedAtHighWater > 0, 'the queue reached its high-water mark at least once');
  });

  test('ends when the socket closes, even with nothing sent', async () => {
    const socket = new WebSocket(await startSender([]));
    const read: string[] = [];
    for await (const message of readSocketMessages(socket, 8)) read.push(message);
    assert.deepEqual(read, []);
  });

  test('throws the socket error after the messages that arrived before it', async () => {
    const invalidUtf8 = Buffer.from([0xff, 0xfe]);
    const socket = new WebSocket(await startSender(['first', invalidUtf8]));
    const read: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const message of readSocketMessages(socket, 8)) read.push(message);
      })(),
      { code: 'WS_ERR_INVALID_UTF8' },
    );
    assert.deepEqual(read, ['first']);
  });
});
