import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { authenticateRequest } from '../auth/authenticate-request.ts';
import type { Authenticator } from '../auth/create-authenticator.ts';
import type { OriginPolicy } from '../auth/create-origin-policy.ts';
import type { Identity } from '../auth/identity.ts';
import { GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import type { Metrics } from '../metrics/create-metrics.ts';
import type { Gateway } from '../pipeline/create-gateway.ts';
import { allowCors, answerPreflight } from './allow-cors.ts';
import { createChatCompletionsRoute } from './chat-completions.ts';
import { listModels } from './list-models.ts';
import { sendError, sendJson } from './send-json.ts';
import { loadChatPage, serveChatPage } from './serve-chat-page.ts';
import { usageReport } from './usage-report.ts';

export interface HttpDoorOptions {
  gateway: Gateway;
  authenticator: Authenticator;
  /** Served at `GET /metrics`, without credentials, for Prometheus to scrape. */
  metrics: Pick<Metrics, 'contentType' | 'render'>;
  /** False while the server drains before shutting down. */
  ready(): boolean;
  log: Logger;
  /** Largest request body accepted (`server.max_body_bytes`). */
  maxBodyBytes: number;
  /** Which browser origins may use `/v1/` (`server.allowed_origins`). */
  origins: OriginPolicy;
}

/** Whether a Content-Type is JSON's, with or without parameters (`; charset=utf-8`). */
function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

type AuthenticatedRoute = (
  identity: Identity,
  url: URL,
  response: ServerResponse,
  request: IncomingMessage,
) => Promise<void>;

/** The HTTP door's routes. */
export function createHttpHandler({
  gateway,
  authenticator,
  metrics,
  ready,
  log,
  maxBodyBytes,
  origins,
}: HttpDoorOptions) {
  const chatPage = loadChatPage();
  const chatCompletions = createChatCompletionsRoute({ gateway, log, maxBodyBytes });
  // The `created` of every model: the routes exist from start-up on.
  const modelsCreated = Math.floor(Date.now() / 1000);
  // A Map: the route is made of the client's method and path, so it must never find a built-in property.
  const authenticatedRoutes = new Map<string, AuthenticatedRoute>([
    [
      'POST /v1/chat/completions',
      (identity, _url, response, request) => chatCompletions(identity, request, response),
    ],
    [
      'GET /v1/models',
      async (identity, _url, response) => {
        sendJson(response, 200, listModels(gateway.modelNames(identity), modelsCreated));
      },
    ],
    [
      'GET /v1/usage',
      async (identity, url, response) => {
        sendJson(response, 200, await usageReport(gateway, identity, url.searchParams));
      },
    ],
  ]);

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://sluice');
    const route = `${request.method} ${url.pathname}`;
    try {
      if (route === 'GET /') {
        serveChatPage(chatPage, request, response);
        return;
      }
      if (route === 'GET /healthz') {
        sendJson(response, 200, { status: 'ok' });
        return;
      }
      if (route === 'GET /readyz') {
        const isReady = ready();
        sendJson(response, isReady ? 200 : 503, { status: isReady ? 'ready' : 'draining' });
        return;
      }
      if (route === 'GET /metrics') {
        const text = await metrics.render();
        response.writeHead(200, { 'content-type': metrics.contentType });
        response.end(text);
        return;
      }
      if (url.pathname.startsWith('/v1/')) {
        if (!origins.admits(request)) {
          throw new GatewayError(
            'forbidden',
            `origin ${request.headers.origin} may not use this server (server.allowed_origins)`,
          );
        }
        const corsOrigin = origins.corsOrigin(request);
        if (corsOrigin !== undefined) allowCors(response, corsOrigin);
        if (corsOrigin !== undefined && request.method === 'OPTIONS') {
          answerPreflight(request, response);
          return;
        }
      }
      const handler = authenticatedRoutes.get(route);
      if (!handler) throw new GatewayError('not_found', `no route for ${route}`);
      const identity = await authenticateRequest(authenticator, request);
      // A page may POST text/plain to any site without asking first (no CORS preflight): only JSON is read.
      if (request.method === 'POST' && !isJson(request.headers['content-type'])) {
        throw new GatewayError('bad_request', 'the request body must be Content-Type: application/json', {
          status: 415,
        });
      }
      await handler(identity, url, response, request);
    } catch (error) {
      const failure = toGatewayError(error);
      if (!response.headersSent) sendError(response, failure);
      else response.destroy(failure);
    }
  };
}
