import { isDeepStrictEqual } from 'node:util';
import { WebSocket } from 'ws';
import type { ProviderRequest } from '../../src/spec/chat-request.ts';
import type { StreamPart } from '../../src/spec/stream-part.ts';
import { classifyUpstreamError } from '../shared/classify-upstream-error.ts';
import { type JsonPointerLookup, lookupJsonPointer } from '../shared/json-pointer.ts';
import { chatBodyTemplate, renderUpstreamBody } from '../shared/render-upstream-body.ts';
import { createUpstreamMessageReader } from '../shared/upstream-message-reader.ts';
import { readSocketParts } from './read-socket-parts.ts';
import { waitForOpen } from './wait-for-open.ts';
import type { WebsocketConfig } from './websocket-config-schema.ts';

/** What one call needs besides the request. */
export interface WebsocketCallOptions {
  signal: AbortSignal;
  requestId: string;
  /** The W3C trace context to send with the handshake, when tracing. */
  traceparent?: string;
}

// Unread parts beyond this pause the socket; a few dozen deltas cover any consumer's hiccup.
const queuedPartLimit = 32;
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
 * Opens an upstream WebSocket, sends it the request and reads its messages into parts (see
 * readSocketParts). It rejects when opening fails; the parts throw when the upstream reports an
 * error, and simply end when the socket closes before the stream ended, leaving that to
 * `startOnFirstPart`. Aborting `signal` or leaving the iteration early terminates the socket at once.
 */
export async function streamWebsocketParts(
  config: WebsocketConfig,
  request: ProviderRequest,
  options: WebsocketCallOptions,
): Promise<AsyncIterableIterator<StreamPart>> {
  const reader = createUpstreamMessageReader(config);
  /** A done message came: `end` adds the finish part even when no finish reason was named. */
  let doneSeen = false;
  let socket: WebSocket | undefined;
  try {
    options.signal.throwIfAborted();
    socket = new WebSocket(config.url, {
      headers: {
        ...config.headers,
        'x-request-id': options.requestId,
        ...(options.traceparent === undefined ? {} : { traceparent: options.traceparent }),
      },
      maxPayload: largestMessageBytes,
    });
    const opened = socket;
    const parts = readSocketParts<StreamPart>(
      opened,
      {
        event(data, parts) {
          const message = reader.read(data);
          if (message.error) throw message.error;
          for (const part of message.parts) parts.push(part);
          doneSeen = isDone(config, message.document);
          return doneSeen;
        },
        end(parts) {
          if (doneSeen || reader.hasFinishReason) parts.push(reader.finish());
        },
      },
      queuedPartLimit,
    );
    const terminate = () => opened.terminate();
    options.signal.addEventListener('abort', terminate, { once: true });
    opened.once('close', () => options.signal.removeEventListener('abort', terminate));
    await waitForOpen(opened, { timeoutMs: config.connect_timeout_ms, describeError: reader.describeError });
    opened.send(requestMessage(config, request));
    return parts;
  } catch (error) {
    socket?.terminate();
    throw classifyUpstreamError(error);
  }
}
