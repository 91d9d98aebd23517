import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateRequest } from '../auth/authenticate-request.ts';
import type { Authenticator } from '../auth/create-authenticator.ts';
import type { Identity } from '../auth/identity.ts';
import { GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import type { Gateway } from '../pipeline/create-gateway.ts';
import { usageReport } from './usage-report.ts';

/** Answers a JSON body with a status. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** Answers an error in OpenAI's shape (`{error: {message, type, code}}`), which SDKs and tools parse. */
export function sendError(response: ServerResponse, error: GatewayError): void {
  if (error.status === 401) response.setHeader('www-authenticate', 'Bearer');
  if (error.retryAfterMs !== undefined)
    response.setHeader('retry-after', String(Math.ceil(error.retryAfterMs / 1000)));
  sendJson(response, error.status, {
    error: { message: error.message, type: error.code, code: error.code, param: null },
  });
}

export interface HttpDoorOptions {
  gateway: Gateway;
  authenticator: Authenticator;
  /** False while the server drains before shutting down. */
  ready(): boolean;
}

type AuthenticatedRoute = (identity: Identity, url: URL, response: ServerResponse) => Promise<void>;

/** The HTTP door's routes. */
export function createHttpHandler({ gateway, authenticator, ready }: HttpDoorOptions) {
  const authenticatedRoutes: Record<string, AuthenticatedRoute> = {
    'GET /v1/usage': async (identity, url, response) => {
      sendJson(response, 200, await usageReport(gateway, identity, url.searchParams));
    },
  };

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://sluice');
    const route = `${request.method} ${url.pathname}`;
    try {
      if (route === 'GET /healthz') {
        sendJson(response, 200, { status: 'ok' });
        return;
      }
      if (route === 'GET /readyz') {
        const isReady = ready();
        sendJson(response, isReady ? 200 : 503, { status: isReady ? 'ready' : 'draining' });
        return;
      }
      const handler = authenticatedRoutes[route];
      if (!handler) throw new GatewayError('not_found', `no route for ${route}`);
      const identity = await authenticateRequest(authenticator, request);
      await handler(identity, url, response);
    } catch (error) {
      const failure = toGatewayError(error);
      if (!response.headersSent) sendError(response, failure);
      else response.destroy(failure);
    }
  };
}
