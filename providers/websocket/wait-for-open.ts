import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import { classifyUpstreamError, errorFromUpstreamStatus } from '../shared/classify-upstream-error.ts';

/** How long opening may take, and how to word a refusal's body. */
export interface WaitForOpenOptions {
  timeoutMs: number;
  describeError(body: string): string;
}

const refusalBodyBytes = 4096;

/** Reads the start of a refused handshake's body: it usually says why. */
async function readRefusalBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response) {
    chunks.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length >= refusalBodyBytes) break;
  }
  return Buffer.concat(chunks).subarray(0, refusalBodyBytes).toString('utf8').trim();
}

/**
 * Resolves when a connecting socket opens. Rejects with a GatewayError when the connection is refused,
 * the upstream answers the handshake with an HTTP status instead of 101 (classified by that status,
 * with its Retry-After), or opening takes longer than `timeoutMs`; the socket is then terminated.
 */
export function waitForOpen(socket: WebSocket, options: WaitForOpenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timeout = `upstream WebSocket did not open within ${options.timeoutMs} ms`;
    const timer = setTimeout(
      () => fail(new GatewayError('upstream_timeout', timeout, { retryable: true })),
      options.timeoutMs,
    );

    function settle(): boolean {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      // `onError` stays: terminating a connecting socket emits one more error, which must not go unheard.
      socket.off('open', onOpen);
      socket.off('unexpected-response', onUnexpectedResponse);
      return true;
    }
    function fail(error: GatewayError): void {
      if (!settle()) return;
      socket.terminate();
      reject(error);
    }
    function onOpen(): void {
      if (settle()) resolve();
    }
    function onError(error: Error): void {
      fail(classifyUpstreamError(error));
    }
    function onUnexpectedResponse(_request: unknown, response: IncomingMessage): void {
      const status = response.statusCode ?? 502;
      const retryAfter = response.headers['retry-after'];
      readRefusalBody(response).then(
        (body) => {
          const message = options.describeError(body) || response.statusMessage || 'handshake refused';
          fail(errorFromUpstreamStatus(status, message, retryAfter));
        },
        (error: unknown) => fail(classifyUpstreamError(error)),
      );
    }

    socket.on('open', onOpen);
    socket.on('error', onError);
    // Listening to this event stops `ws` from failing with a bare message, so the status can be classified.
    socket.on('unexpected-response', onUnexpectedResponse);
  });
}
