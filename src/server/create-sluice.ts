import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { providerKinds } from '../../providers/index.ts';
import { type Authenticator, createAuthenticator } from '../auth/create-authenticator.ts';
import { createOriginPolicy } from '../auth/create-origin-policy.ts';
import { createCoalescingHub } from '../cache/coalescing-hub.ts';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../errors/config-error.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { createHttpHandler } from '../http-door/handle-http-request.ts';
import { countOpenSockets } from '../metrics/count-open-sockets.ts';
import { createMetrics } from '../metrics/create-metrics.ts';
import { fanOutObserver } from '../metrics/fan-out-observer.ts';
import { createGateway, type GatewayShared } from '../pipeline/create-gateway.ts';
import { createLiveGateway } from '../pipeline/live-gateway.ts';
import { mergeTextRuns } from '../pipeline/pump-to-broadcast.ts';
import { createRequestTracker } from '../pipeline/request-tracker.ts';
import { createTargetRegistry } from '../routing/target-registry.ts';
import type { RequestObserver } from '../spec/request-observer.ts';
import { startTracing } from '../tracing/start-tracing.ts';
import { createWsDoor, wsPath } from '../ws-door/create-ws-door.ts';
import { createPerIpGuard } from '../ws-door/per-ip-guard.ts';
import { createClientErrorAnswer } from './answer-client-error.ts';
import { defaultMaxConnections } from './default-max-connections.ts';
import { openBackends } from './open-backends.ts';

/** A running Sluice: one port for HTTP and WebSocket. */
export interface Sluice {
  /** HTTPS when `server.tls` is set. */
  server: Server | HttpsServer;
  /** `http://host:port` (`https://` with TLS) once listening. */
  url: string;
  /** `ws://host:port/v1/ws` (`wss://` with TLS) once listening. */
  wsUrl: string;
  /** Open WebSocket client connections. */
  connections: ReadonlySet<WebSocket>;
  /**
   * Applies a new config to new requests; requests in flight finish on the one they started with.
   * Rejects, changing nothing, when the new config cannot be put together (a hook module that fails).
   */
  reload(config: Config): Promise<void>;
  /**
   * Graceful stop: readiness goes false and new connections and requests get `unavailable`, requests
   * in flight run to their end (at most `timeoutMs`, then they are ended), every one is recorded,
   * then connections close with 1001.
   */
  drain(timeoutMs: number): Promise<void>;
  /** Stops at once: ends requests, closes client connections with 1001 and the server. */
  close(): Promise<void>;
}

const shuttingDown = () =>
  new GatewayError('unavailable', 'the server is shutting down', { retryable: true });

/** Close code: the server is going away (docs/protocol.md). */
const goingAway = 1001;

/** Optional parts of a running Sluice. */
export interface SluiceOptions {
  /** Sees every request start and end (metrics). */
  observer?: RequestObserver;
  /** The config file's directory, for paths in it (hook modules); the working directory by default. */
  baseDirectory?: string;
}

/** Reads `server.tls`'s certificate and key, with an error naming the field at fault. */
function readTlsCredentials(tls: NonNullable<Config['server']['tls']>): { cert: Buffer; key: Buffer } {
  const read = (field: 'cert_file' | 'key_file') => {
    try {
      return readFileSync(tls[field]);
    } catch (error) {
      throw new ConfigError(`server.tls.${field}: cannot read ${tls[field]}: ${(error as Error).message}`);
    }
  };
  const credentials = { cert: read('cert_file'), key: read('key_file') };
  try {
    createSecureContext(credentials);
  } catch (error) {
    throw new ConfigError(`server.tls: the certificate and key cannot be used: ${(error as Error).message}`);
  }
  return credentials;
}

/** Config fields a reload cannot change: they shape the listening socket and the process. */
const fixedFields = ['server', 'store', 'resume', 'telemetry', 'cache'] as const;

/** Builds the whole gateway from a validated config and starts listening. */
export async function startSluice(config: Config, log: Logger, options: SluiceOptions = {}): Promise<Sluice> {
  // Read first, so a bad certificate stops start-up before anything is opened.
  const tls = config.server.tls && readTlsCredentials(config.server.tls);
  const backends = await openBackends(config, log);
  const { store } = backends;
  const tracing = await startTracing(config.telemetry, log);
  const stopping = new AbortController();
  const stopped = new AbortController();
  const tracker = createRequestTracker();
  const metrics = createMetrics({
    openConnections: () => countOpenSockets(wsDoor.connections),
    isKnownModel: (model) => Object.hasOwn(gateway.config.models, model),
  });
  const observers = [tracker.observer, metrics.observer, ...(options.observer ? [options.observer] : [])];
  const shared: GatewayShared = {
    store,
    limiters: backends.limiters,
    registry: createTargetRegistry(),
    observer: fanOutObserver(observers),
    stopping: stopping.signal,
    stopped: stopped.signal,
    cache: backends.cache,
    hub: createCoalescingHub({ compactReplayed: mergeTextRuns }),
    sharedCalls: backends.sharedCalls,
    baseDirectory: options.baseDirectory ?? process.cwd(),
    providerKinds,
    log,
  };
  const gateway = createLiveGateway(await createGateway(config, shared));
  let currentAuthenticator = createAuthenticator(config.auth);
  const authenticator: Authenticator = { authenticate: (token) => currentAuthenticator.authenticate(token) };
  const origins = createOriginPolicy(config.server.allowed_origins);
  const perIp = createPerIpGuard(config.server.per_ip);
  const wsDoor = createWsDoor({
    config,
    gateway,
    authenticator,
    log,
    accepting: () => !stopping.signal.aborted,
    resume: backends.resume,
    origins,
    perIp,
  });
  const handleHttp = createHttpHandler({
    gateway,
    authenticator,
    metrics,
    ready: () => !stopping.signal.aborted,
    log,
    maxBodyBytes: config.server.max_body_bytes,
    origins,
  });
  const clientErrors = createClientErrorAnswer();
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    clientErrors.track(request, response);
    void handleHttp(request, response);
  };
  const httpOptions = {
    headersTimeout: config.server.headers_timeout_ms,
    // Only receiving the request: Node stops timing it once the request is complete, so a long reply streams on.
    requestTimeout: config.server.request_timeout_ms,
    keepAliveTimeout: config.server.keep_alive_timeout_ms,
    // Node looks for requests past their deadline every 30 s by default: a slow client would hold on twice as long.
    connectionsCheckingInterval: Math.min(1000, config.server.headers_timeout_ms / 2),
  };
  // TLS ends here: the one port then serves HTTPS, and WebSocket upgrades arrive over it as wss://.
  const server = tls
    ? createHttpsServer({ ...tls, ...httpOptions }, listener)
    : createServer(httpOptions, listener);
  // Past it Node closes new connections at once, so requests in flight keep the descriptors they need.
  server.maxConnections = config.server.max_connections ?? defaultMaxConnections();
  server.on('connection', (socket: Socket) => {
    // Every TCP connection, WebSocket or not, counts against its address before a byte is parsed.
    const release =
      socket.remoteAddress === undefined ? undefined : perIp.admitConnection(socket.remoteAddress);
    if (release === undefined) socket.destroy();
    else socket.once('close', release);
  });
  server.on('upgrade', (request, socket, head) => void wsDoor.handleUpgrade(request, socket, head));
  server.on('clientError', clientErrors.answer);

  server.listen(config.server.port, config.server.host);
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  log.info(
    { host: address, port, models: Object.keys(config.models), max_connections: server.maxConnections },
    `Sluice listening on ${tls ? 'https' : 'http'}://${host}:${port}`,
  );

  const close = async () => {
    stopping.abort(shuttingDown());
    stopped.abort(shuttingDown());
    wsDoor.close(goingAway, 'server shutting down');
    server.closeAllConnections();
    const closed = once(server, 'close');
    server.close();
    await closed;
    // Requests ended by the close settle before the ledger goes.
    await tracker.whenIdle();
    await backends.close();
    await tracing.shutdown();
  };

  return {
    server,
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    wsUrl: `${tls ? 'wss' : 'ws'}://${host}:${port}${wsPath}`,
    connections: wsDoor.connections,
    async reload(next) {
      const changed = fixedFields.filter(
        (field) => JSON.stringify(next[field]) !== JSON.stringify(config[field]),
      );
      if (changed.length > 0) log.warn({ fields: changed }, 'these config sections change only on a restart');
      gateway.swap(await createGateway(next, shared));
      currentAuthenticator = createAuthenticator(next.auth);
      log.info({ models: Object.keys(next.models) }, 'config reloaded');
    },
    async drain(timeoutMs) {
      stopping.abort(shuttingDown());
      log.info({ in_flight: tracker.inFlight(), timeout_ms: timeoutMs }, 'draining');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([tracker.whenIdle(), timedOut]);
      clearTimeout(timer);
      if (tracker.inFlight() > 0)
        log.warn({ in_flight: tracker.inFlight() }, 'drain timeout: ending the rest');
      await close();
    },
    close,
  };
}
