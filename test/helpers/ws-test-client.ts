import { once } from 'node:events';
import { type ClientOptions, WebSocket } from 'ws';

/** A server event as the client received it. */
export type ServerEvent = Record<string, unknown> & { type: string; id?: string };

/** A protocol client for tests: it queues every event and lets a test wait for the ones it expects. */
export interface TestClient {
  socket: WebSocket;
  /** Every event received so far, in order. */
  events: ServerEvent[];
  send(frame: unknown): void;
  /** Resolves with the first event (received or still to come) that matches and was not taken before. */
  next(match?: (event: ServerEvent) => boolean): Promise<ServerEvent>;
  /** Resolves with every event of request `id`, up to and including its `done` or `error`. */
  collect(id: string): Promise<ServerEvent[]>;
  /** Resolves with the close code once the server closes the connection. */
  closed: Promise<number>;
  close(): Promise<void>;
}

/** Opens a WebSocket to Sluice and waits for the connection to open. */
export async function connectTestClient(
  url: string,
  protocols: string | string[] = 'sluice.v1',
  options: ClientOptions = {},
): Promise<TestClient> {
  const socket = new WebSocket(url, protocols, options);
  const events: ServerEvent[] = [];
  const taken = new Set<ServerEvent>();
  const waiters: Array<{ match: (event: ServerEvent) => boolean; resolve: (event: ServerEvent) => void }> =
    [];
  socket.on('message', (data) => {
    const event = JSON.parse(data.toString()) as ServerEvent;
    events.push(event);
    const index = waiters.findIndex((waiter) => waiter.match(event));
    if (index !== -1) {
      taken.add(event);
      waiters.splice(index, 1)[0]?.resolve(event);
    }
  });
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  await once(socket, 'open');
  const next: TestClient['next'] = (match = () => true) => {
    const existing = events.find((event) => !taken.has(event) && match(event));
    if (existing) {
      taken.add(existing);
      return Promise.resolve(existing);
    }
    return new Promise((resolve) => waiters.push({ match, resolve }));
  };
  return {
    socket,
    events,
    closed,
    next,
    send: (frame) =>
      socket.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame)),
    async collect(id) {
      await next((event) => event.id === id && (event.type === 'done' || event.type === 'error'));
      return events.filter((event) => event.id === id);
    },
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close();
      await closed;
    },
  };
}
