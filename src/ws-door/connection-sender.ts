import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

/**
 * Sends a connection's frames and knows when they have left Sluice. ws has no drain event, but a
 * send callback fires once its frame (and so every frame before it) reached the kernel; callbacks
 * are taken only while frames are queued, so an uncongested connection costs nothing extra.
 * Frames sent in one turn of the event loop leave in one write: the raw socket is corked at the
 * first and uncorked once the turn's work is done, instead of one system call per token.
 */
export function createConnectionSender(socket: WebSocket, raw: Duplex) {
  let lastFlush: Promise<void> = Promise.resolve();
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
      lastFlush = new Promise((resolve) => socket.send(text, () => resolve()));
    },
    /** Resolves once every frame sent so far has been flushed (or the connection closed). */
    flushed: (): Promise<void> => lastFlush,
    /** Bytes waiting to be sent. */
    buffered: () => socket.bufferedAmount,
    isOpen: () => socket.readyState === WebSocket.OPEN,
  };
}

export type ConnectionSender = ReturnType<typeof createConnectionSender>;
