import { WebSocket } from 'ws';

/**
 * Sends a connection's frames and knows when they have left Sluice. ws has no drain event, but a
 * send callback fires once its frame (and so every frame before it) reached the kernel; callbacks
 * are taken only while frames are queued, so an uncongested connection costs nothing extra.
 */
export function createConnectionSender(socket: WebSocket) {
  let lastFlush: Promise<void> = Promise.resolve();
  return {
    send(text: string): void {
      if (socket.readyState !== WebSocket.OPEN) return;
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
