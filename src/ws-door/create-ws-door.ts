import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { authenticateRequest } from '../auth/authenticate-request.ts';
import type { Authenticator } from '../auth/create-authenticator.ts';
import type { OriginPolicy } from '../auth/create-origin-policy.ts';
import type { Config } from '../config/schema.ts';
import { toGatewayError } from '../errors/gateway-error.ts';
import type { Gateway } from '../pipeline/create-gateway.ts';
import type { ResumeService } from '../resume/create-resume-service.ts';
import { serveClientConnection } from './client-connection.ts';
import { startHeartbeat } from './heartbeat.ts';
import { createInFlightBudget } from './in-flight-budget.ts';
import type { PerIpGuard } from './per-ip-guard.ts';

/** The WebSocket door's path (docs/protocol.md). */
export const wsPath = '/v1/ws';
const subprotocol = 'sluice.v1';

const statusTexts: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** Refuses an upgrade with a plain HTTP answer and a JSON reason, before any WebSocket exists. */
function refuseUpgrade(socket: Duplex, status: number, message: string, extraHeaders: string[] = []): void {
  const body = JSON.stringify({ error: { message, status } });
  const head = [
    `HTTP/1.1 ${status} ${statusTexts[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...extraHeaders,
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/** The WebSocket door: upgrades, connections and their heartbeats. */
export interface WsDoor {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
  /** Open client connections. */
  connections: ReadonlySet<WebSocket>;
  /** Closes every connection with `code` and stops the heartbeat. */
  close(code: number, reason: string): void;
}

export interface WsDoorOptions {
  config: Config;
  gateway: Gateway;
  authenticator: Authenticator;
  log: Logger;
  /** False while the server drains: new connections are refused with 503. */
  accepting(): boolean;
  /** Present when streams are resumable. */
  resume?: ResumeService;
  /** Which browser origins may connect (`server.allowed_origins`). */
  origins: OriginPolicy;
  /** The per-address limits; the server counts every TCP connection, so a WebSocket only adds its handshake. */
  perIp: PerIpGuard;
}

/** Creates the WebSocket door; the HTTP server hands it its `upgrade` events. */
export function createWsDoor({
  config,
  gateway,
  authenticator,
  log,
  accepting,
  resume,
  origins,
  perIp,
}: WsDoorOptions): WsDoor {
  const connections = new Set<WebSocket>();
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: config.server.max_frame_bytes,
    perMessageDeflate: false,
    // Select sluice.v1 when offered and never echo a `bearer.<token>` credential back.
    handleProtocols: (protocols) => (protocols.has(subprotocol) ? subprotocol : false),
  });
  const stopHeartbeat = startHeartbeat(connections, config.server.heartbeat_ms);
  const inFlight = createInFlightBudget(config.server.max_requests_per_user);

  return {
    connections,
    async handleUpgrade(request, socket, head) {
      socket.on('error', () => socket.destroy());
      const url = new URL(request.url ?? '/', 'http://sluice');
      if (url.pathname !== wsPath) {
        refuseUpgrade(socket, 404, `no WebSocket endpoint at ${url.pathname}; use ${wsPath}`);
        return;
      }
      if (!accepting()) {
        refuseUpgrade(socket, 503, 'the server is shutting down');
        return;
      }
      if (!origins.admits(request)) {
        refuseUpgrade(socket, 403, `origin ${request.headers.origin} is not allowed`);
        return;
      }
      const address = request.socket.remoteAddress ?? 'unknown';
      const refusal = await perIp.admitHandshake(address);
      if (refusal) {
        const retryAfter =
          refusal.retryAfterMs === undefined
            ? []
            : [`Retry-After: ${Math.ceil(refusal.retryAfterMs / 1000)}`];
        refuseUpgrade(socket, 429, refusal.reason, retryAfter);
        return;
      }
      let identity: Awaited<ReturnType<typeof authenticateRequest>>;
      let limits: Record<string, unknown>;
      try {
        identity = await authenticateRequest(authenticator, request);
        // Also refuses an identity whose plan does not exist, before the upgrade.
        limits = await gateway.limitsOf(identity);
      } catch (error) {
        const failure = toGatewayError(error, 'unauthorized');
        refuseUpgrade(
          socket,
          failure.status,
          failure.message,
          failure.status === 401 ? ['WWW-Authenticate: Bearer'] : [],
        );
        return;
      }
      if (socket.destroyed) return;
      server.handleUpgrade(request, socket, head, (webSocket) => {
        connections.add(webSocket);
        webSocket.on('close', () => connections.delete(webSocket));
        serveClientConnection({
          socket: webSocket,
          gateway,
          config,
          log,
          identity,
          limits,
          rawSocket: socket,
          resume,
          inFlight,
          // Anonymous users share one name: each address gets its own budget.
          budgetHolder: identity.kind === 'anonymous' ? `address ${address}` : `user ${identity.user}`,
        });
      });
    },
    close(code, reason) {
      stopHeartbeat();
      for (const connection of connections) connection.close(code, reason);
    },
  };
}
