import type { ServerResponse } from 'node:http';
import type { GatewayError } from '../errors/gateway-error.ts';
import { encodeOpenAiError } from '../wire/encode-openai-chunk.ts';

/** Answers a JSON body with a status. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/**
 * Answers an error in OpenAI's shape (`{error: {message, type, param, code}}`), which SDKs and tools
 * parse; `param` names the request field at fault, when one is.
 */
export function sendError(response: ServerResponse, error: GatewayError, param: string | null = null): void {
  if (error.status === 401) response.setHeader('www-authenticate', 'Bearer');
  if (error.retryAfterMs !== undefined)
    response.setHeader('retry-after', String(Math.ceil(error.retryAfterMs / 1000)));
  sendJson(response, error.status, encodeOpenAiError(error, param));
}
