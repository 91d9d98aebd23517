import type { WebSocket } from 'ws';
import { type PartHandler, PushedParts } from '../shared/pushed-parts.ts';

/**
 * Reads a socket's messages into parts from the moment it is called (so nothing sent right after the
 * handshake is missed), at the cost of one promise per message at most: each message goes through
 * `handler` synchronously and its parts wait in a queue (see PushedParts).
 *
 * When `highWaterMark` parts wait unread the socket is paused, which stops reading from TCP and so
 * pushes back on the upstream; it resumes once the consumer has taken them all and asks for more.
 * An ending message closes the socket normally; a failure (the socket's error, or the handler's) and
 * leaving before the end terminate it. The socket closing by itself ends the parts.
 */
export function readSocketParts<T>(
  socket: WebSocket,
  handler: PartHandler<string, T>,
  highWaterMark: number,
): AsyncIterableIterator<T> {
  const parts = new PushedParts<T>({
    start: () => undefined,
    resume: () => {
      if (socket.isPaused) socket.resume();
    },
    cancel: () => socket.terminate(),
  });
  const over = () => parts.ended || parts.failed;

  socket.on('message', (data) => {
    if (over()) return;
    try {
      // binaryType stays 'nodebuffer', so every message arrives as one Buffer.
      if (handler.event((data as Buffer).toString('utf8'), parts.parts)) {
        parts.end();
        handler.end(parts.parts);
        socket.close(1000);
      }
    } catch (error) {
      parts.fail(error);
      socket.terminate();
    }
    parts.settle();
    if (!over() && parts.unasked >= highWaterMark) socket.pause();
  });
  socket.on('close', () => {
    if (over()) return;
    parts.end();
    handler.end(parts.parts);
    parts.settle();
  });
  socket.on('error', (error) => {
    if (over()) return;
    parts.fail(error);
    socket.terminate();
    parts.settle();
  });
  return parts;
}
