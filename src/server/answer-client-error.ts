import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatewayError } from '../errors/gateway-error.ts';
import { encodeOpenAiError } from '../wire/encode-openai-chunk.ts';

/** What a request Node could not take is answered with, by Node's error code. */
function failureOf(error: NodeJS.ErrnoException): GatewayError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new GatewayError('too_large', 'the request headers are too large', { status: 431 });
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new GatewayError('too_large', 'the request body has too large chunk extensions');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new GatewayError(
        'bad_request',
        'the request was not received in time (server.headers_timeout_ms, server.request_timeout_ms)',
        { status: 408 },
      );
    default:
      return new GatewayError('bad_request', `the request is not valid HTTP/1.1: ${error.message}`);
  }
}

/**
 * Answers the server's `clientError`s (a request Node cannot parse, or one not received in time) with
 * an HTTP error and an OpenAI-style JSON body, then closes the connection. It sees each connection's
 * latest response, so that it never writes into the middle of one that has begun.
 */
export function createClientErrorAnswer() {
  const latestResponse = new WeakMap<Duplex, ServerResponse>();
  return {
    /** Notes a request's response as its connection's latest. */
    track(request: IncomingMessage, response: ServerResponse): void {
      latestResponse.set(request.socket, response);
    },
    /** The `clientError` listener. */
    answer(error: NodeJS.ErrnoException, socket: Duplex): void {
      const response = latestResponse.get(socket);
      const midResponse = response?.headersSent === true && !response.writableFinished;
      if (error.code !== 'ECONNRESET' && socket.writable && !midResponse) {
        const failure = failureOf(error);
        const body = JSON.stringify(encodeOpenAiError(failure));
        const head = [
          `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status]}`,
          'Connection: close',
          'Content-Type: application/json',
          `Content-Length: ${Buffer.byteLength(body)}`,
        ];
        socket.write(`${head.join('\r\n')}\r\n\r\n${body}`);
      }
      // As Node's own answer does: the socket's pending bytes are handed to the kernel, not awaited.
      socket.destroy();
    },
  };
}
