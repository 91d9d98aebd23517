import type { ProviderRequest } from '../../src/spec/chat-request.ts';
import type { StreamPart } from '../../src/spec/stream-part.ts';
import { classifyUpstreamError, errorFromUpstreamStatus } from '../shared/classify-upstream-error.ts';
import { createFetchOverUndiciDispatcher } from '../shared/fetch-over-undici-dispatcher.ts';
import { readEventStreamBody } from '../shared/read-event-stream-body.ts';
import { chatBodyTemplate, renderUpstreamBody } from '../shared/render-upstream-body.ts';
import { createUpstreamMessageReader, upstreamReportedError } from '../shared/upstream-message-reader.ts';
import type { SseConfig } from './sse-config-schema.ts';

/** What one call needs besides the request. */
export interface SseCallOptions {
  signal: AbortSignal;
  requestId: string;
  /** The W3C trace context to send upstream, when tracing. */
  traceparent?: string;
}

const defaultBody = { ...chatBodyTemplate, stream: true };
// A line that never ends would otherwise grow the parser's buffer without bound; passing it errors the stream.
const largestEventCharacters = 4 * 1024 * 1024;
const errorBodyBytes = 4096;
// Sluice's own fetch hands each network read straight to the event reader, and while the consumer is
// behind, leaves the rest in the socket.
const fetchOverUndiciDispatcher = createFetchOverUndiciDispatcher();

function requestInit(config: SseConfig, request: ProviderRequest, options: SseCallOptions): RequestInit {
  // The User-Agent Node's fetch sent, which some upstreams' firewalls insist on; a configured one wins.
  const headers = new Headers({ accept: 'text/event-stream', 'user-agent': 'node' });
  const body =
    config.method === 'GET'
      ? undefined
      : JSON.stringify(renderUpstreamBody(config.body ?? defaultBody, request));
  if (body !== undefined) headers.set('content-type', 'application/json');
  for (const [name, value] of Object.entries(config.headers ?? {})) headers.set(name, value);
  headers.set('x-request-id', options.requestId);
  if (options.traceparent !== undefined) headers.set('traceparent', options.traceparent);
  return { method: config.method, headers, body, signal: options.signal };
}

/** Reads the start of an error body only: an upstream may send megabytes of HTML with a 502. */
async function readErrorBody(response: Response): Promise<string> {
  // Sluice's fetch gives a Node stream; leaving the loop early destroys it, which closes the connection.
  const body = response.body as unknown as AsyncIterable<Buffer> | null;
  if (!body) return '';
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= errorBodyBytes) break;
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, errorBodyBytes)).trim();
}

/**
 * Calls a generic SSE upstream and reads its events into parts (one promise per network read, see
 * readEventStreamBody). It rejects on an HTTP error status or a failed request; the parts throw on
 * an error event or a lost connection, and simply end when the stream stops without ending, leaving
 * both to `startOnFirstPart`. Leaving before the end, or a done event or data, closes the connection:
 * a generic upstream may keep it open after its last event.
 */
export async function streamSseParts(
  config: SseConfig,
  request: ProviderRequest,
  options: SseCallOptions,
): Promise<AsyncIterableIterator<StreamPart>> {
  const reader = createUpstreamMessageReader(config);
  let response: Response;
  try {
    response = await fetchOverUndiciDispatcher(config.url, requestInit(config, request, options));
    if (!response.ok || !response.body) {
      const message = reader.describeError(await readErrorBody(response)) || response.statusText;
      throw errorFromUpstreamStatus(response.status, message, response.headers.get('retry-after'));
    }
  } catch (error) {
    throw classifyUpstreamError(error);
  }
  /** A done event or data came: `end` adds the finish part even when no finish reason was named. */
  let doneSeen = false;
  return readEventStreamBody<StreamPart>(
    response,
    {
      event(event, parts) {
        if (event.event === config.error_event) throw upstreamReportedError(reader.describeError(event.data));
        if (event.data !== config.done_data) {
          const message = reader.read(event.data);
          if (message.error) throw message.error;
          for (const part of message.parts) parts.push(part);
          if (config.done_event === undefined || event.event !== config.done_event) return false;
        }
        doneSeen = true;
        return true;
      },
      end(parts) {
        if (doneSeen || reader.hasFinishReason) parts.push(reader.finish());
      },
    },
    { drainAfterEnd: false, maxBufferSize: largestEventCharacters },
  );
}
