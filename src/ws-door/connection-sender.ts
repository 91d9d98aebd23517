import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

/** RFC 6455 header of an unmasked, final text frame of `length` payload bytes, at `offset`. */
function writeTextFrameHeader(target: Buffer, offset: number, length: number): number {
  target[offset] = 0x81;
  if (length < 126) {
    target[offset + 1] = length;
    return offset + 2;
  }
  if (length < 65_536) {
    target[offset + 1] = 126;
    target.writeUInt16BE(length, offset + 2);
    return offset + 4;
  }
  target[offset + 1] = 127;
  target.writeUInt32BE(Math.floor(length / 2 ** 32), offset + 2);
  target.writeUInt32BE(length >>> 0, offset + 6);
  return offset + 10;
}

const headerBytes = (length: number) => (length < 126 ? 2 : length < 65_536 ? 4 : 10);

/**
 * Sends a connection's frames and knows when they have left Sluice. Frames sent in one turn of the
 * event loop are encoded here (server text frames: unmasked, no extensions) into one buffer and
 * leave in one write once the turn's work is done, instead of a `ws` send and a system call per
 * token. A batch written while the socket is congested (or awaited) takes the write's callback, so
 * an uncongested connection costs nothing extra and `flushed()` knows when its frames have left.
 * Whatever `ws` writes itself stays in order with the batch: closing the WebSocket (by us, the
 * server's shutdown, or `ws` answering the client's close) first writes the pending batch, and a
 * batch whose socket is gone is dropped. A ping or pong may pass a pending batch, which the
 * protocol allows between messages.
 */
export function createConnectionSender(socket: WebSocket, raw: Duplex) {
  // Batches written with the callback (or waited for while pending), and how many of them have
  // left: the callbacks fire in order.
  let queued = 0;
  let left = 0;
  /** Who waits, by how many batches must have left first; in send order, so the first is due first. */
  const waiters: Array<{ until: number; promise: Promise<void>; resolve: () => void }> = [];
  const onLeft = () => {
    left++;
    while (waiters.length > 0 && waiters[0]!.until <= left) waiters.shift()!.resolve();
  };

  // The turn's frames, their payload sizes, and the bytes they take encoded.
  const texts: string[] = [];
  const sizes: number[] = [];
  let pendingBytes = 0;
  /** Someone waits for the pending batch: it is already counted in `queued`. */
  let pendingTracked = false;

  const writeBatch = () => {
    if (texts.length === 0) return;
    const tracked = pendingTracked;
    pendingTracked = false;
    if (!raw.writable) {
      texts.length = 0;
      sizes.length = 0;
      pendingBytes = 0;
      if (tracked) onLeft();
      return;
    }
    const batch = Buffer.allocUnsafe(pendingBytes);
    let offset = 0;
    for (let index = 0; index < texts.length; index++) {
      offset = writeTextFrameHeader(batch, offset, sizes[index]!);
      offset += batch.write(texts[index]!, offset, sizes[index]!);
    }
    texts.length = 0;
    sizes.length = 0;
    pendingBytes = 0;
    if (tracked || raw.writableLength > 0) {
      if (!tracked) queued++;
      raw.write(batch, onLeft);
    } else {
      raw.write(batch);
    }
  };

  // Every close goes through this instance's method, ours and `ws`'s own (it answers a client's close
  // with it), so wrapping it keeps a close frame from overtaking the turn's frames.
  const close = socket.close.bind(socket);
  socket.close = (code?: number, data?: string | Buffer) => {
    writeBatch();
    close(code, data);
  };

  return {
    send(text: string): void {
      if (socket.readyState !== WebSocket.OPEN) return;
      if (texts.length === 0) process.nextTick(writeBatch);
      const size = Buffer.byteLength(text);
      texts.push(text);
      sizes.push(size);
      pendingBytes += headerBytes(size) + size;
    },
    /** Resolves once every frame sent so far has been flushed (or the connection closed). */
    flushed(): Promise<void> {
      if (texts.length > 0 && !pendingTracked) {
        pendingTracked = true;
        queued++;
      }
      if (left >= queued) return Promise.resolve();
      const last = waiters.at(-1);
      if (last?.until === queued) return last.promise;
      const { promise, resolve } = Promise.withResolvers<void>();
      waiters.push({ until: queued, promise, resolve });
      return promise;
    },
    /** Bytes waiting to be sent: in the socket, and in this turn's batch. */
    buffered: () => socket.bufferedAmount + pendingBytes,
    isOpen: () => socket.readyState === WebSocket.OPEN,
  };
}

export type ConnectionSender = ReturnType<typeof createConnectionSender>;
