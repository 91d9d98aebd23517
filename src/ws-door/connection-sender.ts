import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

/**
 * Sends a connection's frames and knows when they have left Sluice. ws has no drain event, but a
 * send callback fires once its frame (and so every frame before it) reached the kernel; callbacks
 * are taken only while frames are queued, so an uncongested connection costs nothing extra, and a
 * congested one one shared callback that counts them, with a promise only for who asks to wait.
 * Frames sent in one turn of the event loop leave in one write: the raw socket is corked at the
 * first and uncorked once the turn's work is done, instead of one system call per token.
 */
export function createConnectionSender(socket: WebSocket, raw: Duplex) {
  // Frames sent with the callback, and how many of them have left: the callbacks fire in order.
  let queued = 0;
  let left = 0;
  /** Who waits, by how many frames must have left first; in send order, so the first is due first. */
  const waiters: Array<{ until: number; promise: Promise<void>; resolve: () => void }> = [];
  const onLeft = () => {
    left++;
    while (waiters.length > 0 && waiters[0]!.until <= left) waiters.shift()!.resolve();
  };
  let corked = false;
  const uncork = () => {
    corked = false;
    raw.uncork();
  };
  return {
    send(text: string): void {
      if (socket.readyState !== WebSocket.OPEN) return;
      if (!corked) {
        corked = true;
        raw.cork();
        process.nextTick(uncork);
      }
      if (socket.bufferedAmount === 0) {
        socket.send(text);
        return;
      }
      queued++;
      socket.send(text, onLeft);
    },
    /** Resolves once every frame sent so far has been flushed (or the connection closed). */
    flushed(): Promise<void> {
      if (left >= queued) return Promise.resolve();
      const last = waiters.at(-1);
      if (last?.until === queued) return last.promise;
      const { promise, resolve } = Promise.withResolvers<void>();
      waiters.push({ until: queued, promise, resolve });
      return promise;
    },
    /** Bytes waiting to be sent. */
    buffered: () => socket.bufferedAmount,
    isOpen: () => socket.readyState === WebSocket.OPEN,
  };
}

export type ConnectionSender = ReturnType<typeof createConnectionSender>;
