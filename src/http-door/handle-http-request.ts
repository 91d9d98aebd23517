import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { authenticateRequest } from '../auth/authenticate-request.ts';
import type { Authenticator } from '../auth/create-authenticator.ts';
import type { Identity } from '../auth/identity.ts';
import { GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import type { Metrics } from '../metrics/create-metrics.ts';
import type { Gateway } from '../pipeline/create-gateway.ts';
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
}: HttpDoorOptions) {
  const chatPage = loadChatPage();
  const chatCompletions = createChatCompletionsRoute({ gateway, log, maxBodyBytes });
  // The `created` of every model: the routes exist from start-up on.
  const modelsCreated = Math.floor(Date.now() / 1000);
  const authenticatedRoutes: Record<string, AuthenticatedRoute> = {
    'POST /v1/chat/completions': (identity, _url, response, request) =>
      chatCompletions(identity, request, response),
    'GET /v1/models': async (identity, _url, response) => {
      sendJson(response, 200, listModels(gateway.modelNames(identity), modelsCreated));
    },
    'GET /v1/usage': async (identity, url, response) => {
      sendJson(response, 200, await usageReport(gateway, identity, url.searchParams));
    },
  };

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
      const handler = authenticatedRoutes[route];
      if (!handler) throw new GatewayError('not_found', `no route for ${route}`);
      const identity = await authenticateRequest(authenticator, request);
      await handler(identity, url, response, request);
    } catch (error) {
      const failure = toGatewayError(error);
      if (!response.headersSent) sendError(response, failure);
      else response.destroy(failure);
    }
  };
}
