import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Config } from '../config/schema.ts';
import type { Gateway } from '../pipeline/create-gateway.ts';
import { serveClientConnection } from './client-connection.ts';
import { startHeartbeat } from './heartbeat.ts';

/** The WebSocket door's path (PROTOCOL.md). */
export const wsPath = '/v1/ws';
const subprotocol = 'sluice.v1';

/** Refuses an upgrade with a plain HTTP answer, before any WebSocket exists. */
function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** The WebSocket door: upgrades, connections and their heartbeats. */
export interface WsDoor {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Open client connections. */
  connections: ReadonlySet<WebSocket>;
  /** Closes every connection with `code` and stops the heartbeat. */
  close(code: number, reason: string): void;
}

export interface WsDoorOptions {
  config: Config;
  gateway: Gateway;
  log: Logger;
}

/** Creates the WebSocket door; the HTTP server hands it its `upgrade` events. */
export function createWsDoor({ config, gateway, log }: WsDoorOptions): WsDoor {
  const connections = new Set<WebSocket>();
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: config.server.max_frame_bytes,
    perMessageDeflate: false,
    // Select sluice.v1 when offered and never echo a `bearer.<token>` credential back.
    handleProtocols: (protocols) => (protocols.has(subprotocol) ? subprotocol : false),
  });
  const stopHeartbeat = startHeartbeat(connections, config.server.heartbeat_ms);

  return {
    connections,
    handleUpgrade(request, socket, head) {
      const url = new URL(request.url ?? '/', 'http://sluice');
      if (url.pathname !== wsPath) {
        refuseUpgrade(socket, 404, 'Not Found');
        return;
      }
      const origin = request.headers.origin;
      const allowed = config.server.allowed_origins;
      if (origin !== undefined && allowed.length > 0 && !allowed.includes(origin)) {
        refuseUpgrade(socket, 403, 'Forbidden');
        return;
      }
      server.handleUpgrade(request, socket, head, (webSocket) => {
        connections.add(webSocket);
        webSocket.on('close', () => connections.delete(webSocket));
        serveClientConnection({ socket: webSocket, gateway, config, log, user: 'anonymous' });
      });
    },
    close(code, reason) {
      stopHeartbeat();
      for (const connection of connections) connection.close(code, reason);
    },
  };
}
