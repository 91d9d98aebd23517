import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** A request as the fake upstream received it. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The parsed JSON body, when it was JSON. */
  json: unknown;
  /** When the request's head arrived (`performance.now()`). */
  receivedAt: number;
}

export type FakeHandler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

/** A real HTTP server on a loopback port that records what it receives and who is still connected. */
export interface FakeHttpServer {
  url: string;
  requests: RecordedRequest[];
  /** Connections currently open to the fake. */
  openConnections(): number;
  /** Resolves when the client side of the next (or a current) connection closes. */
  nextConnectionClose(): Promise<void>;
  close(): Promise<void>;
  server: Server;
}

/** Starts a fake upstream whose every request goes to `handler`. */
export async function startFakeHttpServer(handler: FakeHandler): Promise<FakeHttpServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const closeWaiters: Array<() => void> = [];
  const server = createServer(async (request, response) => {
    const receivedAt = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try {
      json = body ? JSON.parse(body) : undefined;
    } catch {
      json = undefined;
    }
    const recorded = {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: request.headers,
      body,
      json,
      receivedAt,
    };
    requests.push(recorded);
    try {
      await handler(recorded, response);
    } catch (error) {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    }
  });
  server.on('connection', (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      for (const wake of closeWaiters.splice(0)) wake();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    server,
    openConnections: () => sockets.size,
    nextConnectionClose: () => new Promise((resolve) => closeWaiters.push(resolve)),
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** How an SSE body is cut into writes, to reproduce what real providers' streams look like on the wire. */
export interface SseWriteOptions {
  /** Use CRLF line endings instead of LF. */
  crlf?: boolean;
  /** Split every event into two TCP writes, cutting a multi-byte UTF-8 character in half where there is one. */
  splitMidCharacter?: boolean;
  /** Send a `: keep-alive` comment line before every event. */
  keepAliveComments?: boolean;
}

/** Writes a buffer in two separate TCP writes, the cut landing inside the first multi-byte character. */
async function writeInTwo(response: ServerResponse, bytes: Buffer): Promise<void> {
  let cut = bytes.findIndex((byte) => byte >= 0x80);
  cut = cut === -1 ? Math.floor(bytes.length / 2) : cut + 1;
  response.write(bytes.subarray(0, cut));
  await nextTurn();
  response.write(bytes.subarray(cut));
}

/** Writes one SSE event (`data` lines, optional `event` name), shaped by the options. */
export async function writeSseEvent(
  response: ServerResponse,
  data: string,
  options: SseWriteOptions & { event?: string } = {},
): Promise<void> {
  const newline = options.crlf ? '\r\n' : '\n';
  let text = '';
  if (options.keepAliveComments) text += `: keep-alive${newline}${newline}`;
  if (options.event) text += `event: ${options.event}${newline}`;
  for (const line of data.split('\n')) text += `data: ${line}${newline}`;
  text += newline;
  const bytes = Buffer.from(text, 'utf8');
  if (options.splitMidCharacter) await writeInTwo(response, bytes);
  else response.write(bytes);
  await nextTurn();
}

/** Starts an SSE response. */
export function startSseResponse(response: ServerResponse, headers: Record<string, string> = {}): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  response.flushHeaders();
}
