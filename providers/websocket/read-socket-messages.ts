import type { WebSocket } from 'ws';

/**
 * Queues a socket's messages as text for one consumer, from the moment it is called (so nothing sent
 * right after the handshake is missed). When `highWaterMark` messages wait unread the socket is paused,
 * which stops reading from TCP and so pushes back on the upstream; it resumes once the queue is half
 * drained. Iteration ends when the socket closes and throws the socket's error, if it had one.
 */
export function readSocketMessages(socket: WebSocket, highWaterMark: number): AsyncGenerator<string> {
  const queue: string[] = [];
  const lowWaterMark = Math.floor(highWaterMark / 2);
  let closed = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;

  socket.on('message', (data) => {
    // binaryType stays 'nodebuffer', so every message arrives as one Buffer.
    queue.push((data as Buffer).toString('utf8'));
    if (queue.length >= highWaterMark) socket.pause();
    wake?.();
  });
  socket.on('close', () => {
    closed = true;
    wake?.();
  });
  socket.on('error', (error) => {
    failure ??= { error };
    wake?.();
  });

  async function* drain(): AsyncGenerator<string> {
    for (;;) {
      const message = queue.shift();
      if (message !== undefined) {
        if (socket.isPaused && queue.length <= lowWaterMark) socket.resume();
        yield message;
      } else if (failure !== undefined) {
        throw failure.error;
      } else if (closed) {
        return;
      } else {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    }
  }
  return drain();
}
