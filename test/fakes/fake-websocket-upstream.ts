import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type WebSocket, WebSocketServer } from 'ws';

/** One step of a fake WebSocket upstream's answer. */
export type FakeWebSocketStep =
  /**
   * Sends one text message: a string as is, anything else as JSON. `splitMidCharacter` sends it as two
   * frames on separate turns, cut inside its first multi-byte UTF-8 character.
   */
  | { message: unknown; splitMidCharacter?: boolean }
  /** Sends a close frame. */
  | { close: number; reason?: string }
  /** Drops the TCP connection without a close frame. */
  | { terminate: true };

/** How a fake WebSocket upstream treats one connection. */
export interface FakeWebSocketScript {
  /**
   * Refuse the opening handshake with this HTTP status (e.g. 503, with a `retry-after` header), or
   * `stall`: accept the TCP connection and never answer the handshake.
   */
  handshake?: { status: number; headers?: Record<string, string>; body?: string } | 'stall';
  /** Played once the client's first message arrives; after the last step the socket stays open (a stall). */
  steps?: FakeWebSocketStep[];
}

/** A connection as the fake saw it. */
export interface RecordedWebSocketConnection {
  url: string;
  headers: IncomingMessage['headers'];
  /** Every text message the client sent. */
  received: string[];
  /** Resolves with the close code once the WebSocket is closed (1006 when the TCP connection just dropped). */
  closed: Promise<number>;
}

/** A real `ws` server on a loopback port that plays a script and records what it receives. */
export interface FakeWebSocketUpstream {
  url: string;
  connections: RecordedWebSocketConnection[];
  /** TCP connections currently open to the fake (handshaking or upgraded). */
  openConnections(): number;
  /** Resolves when the client side of the next (or a current) TCP connection closes. */
  nextConnectionClose(): Promise<void>;
  close(): Promise<void>;
  /** The HTTP server under the fake (its `upgrade` event marks a handshake arriving). */
  server: Server;
}

function refuse(socket: Socket, status: number, headers: Record<string, string> = {}, body = ''): void {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Refused'}`, 'connection: close'];
  lines.push('content-type: application/json', `content-length: ${Buffer.byteLength(body)}`);
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function send(socket: WebSocket, data: string | Buffer, options: { fin: boolean }): Promise<void> {
  return new Promise((resolve) => socket.send(data, { binary: false, ...options }, () => resolve()));
}

async function sendInTwoFrames(socket: WebSocket, bytes: Buffer): Promise<void> {
  let cut = bytes.findIndex((byte) => byte >= 0x80);
  cut = cut === -1 ? Math.floor(bytes.length / 2) : cut + 1;
  await send(socket, bytes.subarray(0, cut), { fin: false });
  await nextTurn();
  await send(socket, bytes.subarray(cut), { fin: true });
}

async function play(socket: WebSocket, steps: FakeWebSocketStep[]): Promise<void> {
  for (const step of steps) {
    if (socket.readyState !== socket.OPEN) return;
    if ('message' in step) {
      const text = typeof step.message === 'string' ? step.message : JSON.stringify(step.message);
      if (step.splitMidCharacter) await sendInTwoFrames(socket, Buffer.from(text, 'utf8'));
      else await send(socket, text, { fin: true });
    } else if ('close' in step) {
      socket.close(step.close, step.reason);
    } else {
      socket.terminate();
    }
  }
}

/** Starts a fake WebSocket upstream that treats every connection per `script` (or what it returns for it). */
export async function startFakeWebSocketUpstream(
  script: FakeWebSocketScript | ((request: IncomingMessage) => FakeWebSocketScript),
): Promise<FakeWebSocketUpstream> {
  const connections: RecordedWebSocketConnection[] = [];
  const sockets = new Set<Socket>();
  const closeWaiters: Array<() => void> = [];
  const server = createServer((_request, response) => response.writeHead(426).end());
  const webSocketServer = new WebSocketServer({ noServer: true });

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      for (const wake of closeWaiters.splice(0)) wake();
    });
  });
  server.on('upgrade', (request, socket: Socket, head) => {
    const { handshake, steps = [] } = typeof script === 'function' ? script(request) : script;
    if (handshake === 'stall') {
      // HTTP server sockets allow half-open connections: without this the client's leaving goes unseen.
      socket.once('end', () => socket.destroy());
      return;
    }
    if (handshake) {
      refuse(socket, handshake.status, handshake.headers, handshake.body);
      return;
    }
    webSocketServer.handleUpgrade(request, socket, head, (webSocket) => {
      const recorded: RecordedWebSocketConnection = {
        url: request.url ?? '/',
        headers: request.headers,
        received: [],
        closed: new Promise((resolve) => webSocket.once('close', (code) => resolve(code))),
      };
      connections.push(recorded);
      webSocket.on('error', () => {});
      webSocket.on('message', (data) => {
        recorded.received.push(String(data));
        if (recorded.received.length === 1) void play(webSocket, steps);
      });
    });
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    connections,
    server,
    openConnections: () => sockets.size,
    nextConnectionClose: () => new Promise((resolve) => closeWaiters.push(resolve)),
    async close() {
      for (const socket of sockets) socket.destroy();
      webSocketServer.close();
      server.close();
      await once(server, 'close');
    },
  };
}
