import type { IncomingMessage, ServerResponse } from 'node:http';

/** Lets a page on `origin` read this response (`server.allowed_origins`); credentials are bearer tokens, never cookies. */
export function allowCors(response: ServerResponse, origin: string): void {
  response.setHeader('access-control-allow-origin', origin);
  response.setHeader('access-control-expose-headers', 'retry-after, x-request-id');
  response.setHeader('vary', 'Origin');
}

/** Answers a CORS preflight from an allowed origin: its methods, and the headers it asked to send. */
export function answerPreflight(request: IncomingMessage, response: ServerResponse): void {
  const requestedHeaders = request.headers['access-control-request-headers'];
  if (requestedHeaders !== undefined) response.setHeader('access-control-allow-headers', requestedHeaders);
  response.writeHead(204, {
    'access-control-allow-methods': 'GET, POST',
    'access-control-max-age': '600',
  });
  response.end();
}
