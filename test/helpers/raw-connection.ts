import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** A raw TCP connection to a server, for requests no HTTP client sends: half-sent, malformed, from another address. */
export interface RawConnection {
  socket: Socket;
  write(text: string): void;
  /** Resolves with everything received, once the text so far matches `pattern`. */
  receivedMatching(pattern: RegExp): Promise<string>;
  /** Resolves with everything received, once the server has closed the connection (or reset it). */
  closed: Promise<string>;
  /** Whether the connection is still open. */
  isOpen(): boolean;
  close(): void;
}

/** Opens a TCP connection to `url`'s host and port, from `localAddress` when given (any 127.x on Linux). */
export async function openRawConnection(url: string, localAddress?: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), localAddress });
  let received = '';
  const waiters: Array<{ pattern: RegExp; resolve: (text: string) => void }> = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
    for (const waiter of waiters.filter((candidate) => candidate.pattern.test(received))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(received);
    }
  });
  // A reset is one way for the server to close: `closed` reports it like any other close.
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  await once(socket, 'connect');
  return {
    socket,
    write: (text) => socket.write(text),
    receivedMatching: (pattern) =>
      pattern.test(received)
        ? Promise.resolve(received)
        : new Promise((resolve) => waiters.push({ pattern, resolve })),
    closed,
    isOpen: () => !socket.destroyed && !socket.readableEnded,
    close: () => socket.destroy(),
  };
}

/** The status and parsed JSON body of the one HTTP response in `text`. */
export function parseRawResponse(text: string): { status: number; headers: string; body: unknown } {
  const [head = '', body = ''] = text.split('\r\n\r\n', 2);
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
  return { status, headers: head, body: body === '' ? undefined : JSON.parse(body) };
}
