import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { createConnectionSender } from '../../../src/ws-door/connection-sender.ts';

/** Lets every settled promise's reactions run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A socket whose writes stay queued until the test lets them leave, one by one, in order. */
function congestedSocket() {
  const callbacks: Array<() => void> = [];
  const writes: Buffer[] = [];
  const raw = {
    writable: true,
    writableLength: 1,
    write(chunk: Buffer, callback?: () => void) {
      writes.push(chunk);
      if (callback) callbacks.push(callback);
      return false;
    },
  };
  const socket = {
    readyState: WebSocket.OPEN,
    get bufferedAmount() {
      return raw.writableLength;
    },
    close() {},
  };
  const sender = createConnectionSender(socket as unknown as WebSocket, raw as unknown as Duplex);
  /** The oldest queued write reaches the kernel. */
  const leave = () => callbacks.shift()!();
  return { sender, raw, writes, leave };
}

/** Whether a promise has settled by now. */
async function hasSettled(promise: Promise<void>): Promise<boolean> {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  await settle();
  return settled;
}

it("writes a turn's frames as one buffer of text frames, in send order", async () => {
  const { sender, writes } = congestedSocket();
  sender.send('a');
  sender.send('bc');
  assert.equal(writes.length, 0, 'nothing leaves before the turn ends');
  await settle();
  assert.deepEqual(writes, [Buffer.from([0x81, 1, 0x61, 0x81, 2, 0x62, 0x63])]);
});

it('counts the pending batch in buffered()', async () => {
  const { sender, raw } = congestedSocket();
  raw.writableLength = 10;
  sender.send('abc');
  assert.equal(sender.buffered(), 10 + 2 + 3);
  await settle();
  assert.equal(sender.buffered(), 10, 'the batch is now in the socket');
});

it('resolves flushed() once every frame sent before the call has left, not before', async () => {
  const { sender, writes, leave } = congestedSocket();
  sender.send('a');
  const afterA = sender.flushed();
  await settle();
  sender.send('b');
  sender.send('c');
  const afterC = sender.flushed();
  assert.equal(sender.flushed(), afterC, 'waiting for the same frames shares one promise');
  await settle();
  assert.equal(writes.length, 2, 'one write per turn');

  assert.equal(await hasSettled(afterA), false);
  leave();
  assert.equal(await hasSettled(afterA), true, 'a has left');
  assert.equal(await hasSettled(afterC), false, 'c is still queued');
  leave();
  assert.equal(await hasSettled(afterC), true);
});

it('resolves flushed() at once when nothing is queued', async () => {
  const { sender, raw, leave } = congestedSocket();
  assert.equal(await hasSettled(sender.flushed()), true, 'nothing was sent');
  sender.send('a');
  await settle();
  leave();
  raw.writableLength = 0;
  assert.equal(await hasSettled(sender.flushed()), true, 'everything sent has left');
});

it('drops a pending batch whose socket is gone, without throwing, and counts it as left', async () => {
  const { sender, raw, writes } = congestedSocket();
  sender.send('a');
  const flushed = sender.flushed();
  raw.writable = false;
  await settle();
  assert.equal(writes.length, 0);
  assert.equal(await hasSettled(flushed), true);
});

describe('with a real ws client', () => {
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  let url: string;
  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  /** Connects a client; the server side runs `serve` with a sender over the upgraded socket. */
  async function connect(
    serve: (sender: ReturnType<typeof createConnectionSender>, socket: WebSocket) => void,
  ) {
    server.once('upgrade', (request, raw: Duplex, head) => {
      wss.handleUpgrade(request, raw, head, (socket) => serve(createConnectionSender(socket, raw), socket));
    });
    const client = new WebSocket(url, { perMessageDeflate: false });
    const messages: string[] = [];
    client.on('message', (data, isBinary) => {
      assert.equal(isBinary, false);
      messages.push(data.toString());
    });
    const closed = once(client, 'close').then(([code]) => code as number);
    return { client, messages, closed };
  }

  it('encodes frames of every length class and multi-byte UTF-8 text as ws decodes them', async () => {
    const texts = [
      '',
      'x'.repeat(125),
      'é'.repeat(63),
      'y'.repeat(126),
      '😀'.repeat(40),
      'z'.repeat(65_535),
      'ü'.repeat(32_768),
      `${'w'.repeat(70_000)}€`,
      'a',
    ];
    const { client, messages, closed } = await connect((sender, socket) => {
      for (const text of texts) sender.send(text);
      setImmediate(() => {
        sender.send('last');
        socket.close(1000);
      });
    });
    assert.equal(await closed, 1000);
    assert.deepEqual(messages, [...texts, 'last']);
    client.terminate();
  });

  it("writes the turn's frames before a close in the same turn", async () => {
    const { messages, closed } = await connect((sender, socket) => {
      sender.send('one');
      sender.send('two');
      socket.close(4000, 'bye');
    });
    assert.equal(await closed, 4000);
    assert.deepEqual(messages, ['one', 'two']);
  });

  it('drops the pending batch of a terminated connection without throwing', async () => {
    let flushed: Promise<void> | undefined;
    const { messages, closed } = await connect((sender, socket) => {
      sender.send('lost');
      flushed = sender.flushed();
      socket.terminate();
    });
    await closed;
    await flushed;
    assert.deepEqual(messages, []);
  });
});
