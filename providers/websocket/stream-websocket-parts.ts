import { isDeepStrictEqual } from 'node:util';
import { WebSocket } from 'ws';
import type { ProviderRequest } from '../../src/spec/chat-request.ts';
import type { StreamPart } from '../../src/spec/stream-part.ts';
import { type JsonPointerLookup, lookupJsonPointer } from '../shared/json-pointer.ts';
import { chatBodyTemplate, renderUpstreamBody } from '../shared/render-upstream-body.ts';
import { createUpstreamMessageReader } from '../shared/upstream-message-reader.ts';
import { readSocketMessages } from './read-socket-messages.ts';
import { waitForOpen } from './wait-for-open.ts';
import type { WebsocketConfig } from './websocket-config-schema.ts';

/** What one call needs besides the request. */
export interface WebsocketCallOptions {
  signal: AbortSignal;
  requestId: string;
  /** The W3C trace context to send with the handshake, when tracing. */
  traceparent?: string;
}

// Unread upstream messages beyond this pause the socket; a few dozen deltas cover any consumer's hiccup.
const queuedMessageLimit = 32;
// One message is one delta; the `ws` default of 100 MiB would let a faulty upstream hold that much per request.
const largestMessageBytes = 8 * 1024 * 1024;

function isDone(config: WebsocketConfig, document: JsonPointerLookup): boolean {
  if (config.done_path === undefined || !document.found) return false;
  const lookup = lookupJsonPointer(document.value, config.done_path);
  return (
    lookup.found && (config.done_value === undefined || isDeepStrictEqual(lookup.value, config.done_value))
  );
}

function requestMessage(config: WebsocketConfig, request: ProviderRequest): string {
  const rendered = renderUpstreamBody(config.request ?? chatBodyTemplate, request);
  return typeof rendered === 'string' ? rendered : JSON.stringify(rendered);
}

/**
 * Relays one request over an upstream WebSocket and translates its messages into parts. It throws
 * when opening fails or the upstream reports an error, and simply returns when the socket closes
 * before the stream ended, leaving that to `startOnFirstPart`. Aborting `signal` or leaving the
 * iteration early terminates the socket at once.
 */
export async function* streamWebsocketParts(
  config: WebsocketConfig,
  request: ProviderRequest,
  options: WebsocketCallOptions,
): AsyncGenerator<StreamPart> {
  options.signal.throwIfAborted();
  const reader = createUpstreamMessageReader(config);
  const socket = new WebSocket(config.url, {
    headers: {
      ...config.headers,
      'x-request-id': options.requestId,
      ...(options.traceparent === undefined ? {} : { traceparent: options.traceparent }),
    },
    maxPayload: largestMessageBytes,
  });
  const messages = readSocketMessages(socket, queuedMessageLimit);
  const terminate = () => socket.terminate();
  options.signal.addEventListener('abort', terminate, { once: true });
  let ended = false;
  try {
    await waitForOpen(socket, { timeoutMs: config.connect_timeout_ms, describeError: reader.describeError });
    socket.send(requestMessage(config, request));
    for await (const data of messages) {
      const message = reader.read(data);
      if (message.error) throw message.error;
      yield* message.parts;
      if (isDone(config, message.document)) {
        ended = true;
        yield reader.finish();
        return;
      }
    }
    if (reader.hasFinishReason) {
      ended = true;
      yield reader.finish();
    }
  } finally {
    options.signal.removeEventListener('abort', terminate);
    if (ended) socket.close(1000);
    else socket.terminate();
  }
}
