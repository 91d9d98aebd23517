import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { it } from 'node:test';
import { WebSocket } from 'ws';
import { createConnectionSender } from '../../../src/ws-door/connection-sender.ts';

/** Lets every settled promise's reactions run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A socket whose frames stay queued until the test lets them leave, one by one, in order. */
function congestedSocket() {
  const callbacks: Array<() => void> = [];
  const frames: string[] = [];
  const socket = {
    readyState: WebSocket.OPEN,
    bufferedAmount: 1,
    send(text: string, callback?: () => void) {
      frames.push(text);
      if (callback) callbacks.push(callback);
    },
  };
  const raw = { cork() {}, uncork() {} };
  const sender = createConnectionSender(socket as unknown as WebSocket, raw as unknown as Duplex);
  /** The oldest queued frame reaches the kernel. */
  const leave = () => callbacks.shift()!();
  return { sender, frames, leave };
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

it('resolves flushed() once every frame sent before the call has left, not before', async () => {
  const { sender, frames, leave } = congestedSocket();
  sender.send('a');
  const afterA = sender.flushed();
  sender.send('b');
  sender.send('c');
  const afterC = sender.flushed();
  assert.equal(sender.flushed(), afterC, 'waiting for the same frames shares one promise');
  assert.deepEqual(frames, ['a', 'b', 'c']);

  assert.equal(await hasSettled(afterA), false);
  leave();
  assert.equal(await hasSettled(afterA), true, 'a has left');
  leave();
  assert.equal(await hasSettled(afterC), false, 'c is still queued');
  leave();
  assert.equal(await hasSettled(afterC), true);
});

it('resolves flushed() at once when nothing is queued', async () => {
  const { sender, leave } = congestedSocket();
  assert.equal(await hasSettled(sender.flushed()), true, 'nothing was sent');
  sender.send('a');
  leave();
  assert.equal(await hasSettled(sender.flushed()), true, 'everything sent has left');
});
