import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createAuthenticator } from '../auth/create-authenticator.ts';
import type { Config } from '../config/schema.ts';
import { createHttpHandler } from '../http-door/handle-http-request.ts';
import { createGateway } from '../pipeline/create-gateway.ts';
import type { RequestObserver } from '../pipeline/request-observer.ts';
import { openSqliteUsageStore } from '../store/sqlite/sqlite-usage-store.ts';
import { createWsDoor, wsPath } from '../ws-door/create-ws-door.ts';

/** A running Sluice: one port for HTTP and WebSocket. */
export interface Sluice {
  server: Server;
  /** `http://host:port` once listening. */
  url: string;
  /** `ws://host:port/v1/ws` once listening. */
  wsUrl: string;
  /** Stops accepting, closes client connections with 1001 and the server. */
  close(): Promise<void>;
}

/** Close code: the server is going away (PROTOCOL.md). */
const goingAway = 1001;

/** Optional parts of a running Sluice. */
export interface SluiceOptions {
  /** Sees every request start and end (metrics). */
  observer?: RequestObserver;
}

const ignoreRequests: RequestObserver = { requestStarted() {}, requestEnded() {} };

/** Builds the whole gateway from a validated config and starts listening. */
export async function startSluice(config: Config, log: Logger, options: SluiceOptions = {}): Promise<Sluice> {
  let draining = false;
  const store = openSqliteUsageStore(config.store.path);
  const gateway = createGateway(config, store, options.observer ?? ignoreRequests);
  const authenticator = createAuthenticator(config.auth);
  const wsDoor = createWsDoor({ config, gateway, authenticator, log });
  const handleHttp = createHttpHandler({ gateway, authenticator, ready: () => !draining });
  const server = createServer((request, response) => void handleHttp(request, response));
  server.on('upgrade', (request, socket, head) => void wsDoor.handleUpgrade(request, socket, head));
  server.on('clientError', (_error, socket) => socket.destroy());

  server.listen(config.server.port, config.server.host);
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  log.info(
    { host: address, port, models: Object.keys(config.models) },
    `Sluice listening on http://${host}:${port}`,
  );

  return {
    server,
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}${wsPath}`,
    async close() {
      draining = true;
      wsDoor.close(goingAway, 'server shutting down');
      server.closeAllConnections();
      const closed = once(server, 'close');
      server.close();
      await closed;
      await store.close();
    },
  };
}
