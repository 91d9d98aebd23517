import { WebSocket } from 'ws';
import type { RequestTracker } from './stream-measurements.ts';

/** One open `sluice.v1` connection that can carry many measured requests at once. */
export interface WsLoadConnection {
  /** Sends a `chat` frame and reports its reply to `tracker`. */
  chat(id: string, model: string, prompt: string, tracker: RequestTracker): void;
  /** Resolves once the connection is closed (by either side). */
  closed: Promise<void>;
  /** Whether the server has closed it. */
  isOpen(): boolean;
  socket: WebSocket;
  close(): void;
}

interface ServerEvent {
  type: string;
  id?: string;
  code?: string;
  message?: string;
  usage?: { output_tokens?: number };
}

/** Opens a connection to Sluice's WebSocket door and waits for its `ready` event. */
export function openWsLoadConnection(url: string, localAddress?: string): Promise<WsLoadConnection> {
  const socket = new WebSocket(url, 'sluice.v1', {
    perMessageDeflate: false,
    // The rig shares its core with the fake upstream: it skips work that measures nothing about Sluice.
    skipUTF8Validation: true,
    ...(localAddress === undefined ? {} : { localAddress }),
  });
  const pending = new Map<string, RequestTracker>();
  const closed = new Promise<void>((resolve) => {
    socket.on('close', (code) => {
      for (const tracker of pending.values()) tracker.failed(`connection closed with ${code}`);
      pending.clear();
      resolve();
    });
  });

  const connection: WsLoadConnection = {
    socket,
    closed,
    isOpen: () => socket.readyState === WebSocket.OPEN,
    chat(id, model, prompt, tracker) {
      pending.set(id, tracker);
      socket.send(JSON.stringify({ type: 'chat', id, model, messages: [{ role: 'user', content: prompt }] }));
    },
    close: () => socket.close(1000),
  };

  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_request, response) => {
      reject(new Error(`handshake refused with HTTP ${response.statusCode}`));
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
    socket.on('message', (data) => {
      const event = JSON.parse(String(data)) as ServerEvent;
      if (event.type === 'ready') {
        socket.removeAllListeners('error');
        socket.on('error', () => {});
        resolve(connection);
        return;
      }
      const tracker = event.id === undefined ? undefined : pending.get(event.id);
      if (!tracker) return;
      if (event.type === 'delta') tracker.output();
      else if (event.type === 'done') {
        pending.delete(event.id!);
        tracker.finished(event.usage?.output_tokens ?? 0);
      } else if (event.type === 'error') {
        pending.delete(event.id!);
        tracker.failed(`${event.code}: ${event.message}`);
      }
    });
  });
}
