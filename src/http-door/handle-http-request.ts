import type { IncomingMessage, ServerResponse } from 'node:http';

/** Answers a JSON body with a status. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

export interface HttpDoorState {
  /** False while the server drains before shutting down. */
  ready(): boolean;
}

/** The HTTP door's routes. */
export function createHttpHandler(state: HttpDoorState) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (request.method === 'GET' && path === '/healthz') {
      sendJson(response, 200, { status: 'ok' });
      return;
    }
    if (request.method === 'GET' && path === '/readyz') {
      const ready = state.ready();
      sendJson(response, ready ? 200 : 503, { status: ready ? 'ready' : 'draining' });
      return;
    }
    sendJson(response, 404, {
      error: { message: `no route for ${request.method} ${path}`, code: 'not_found' },
    });
  };
}
