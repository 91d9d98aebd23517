import type { Logger } from 'pino';
import type { ProviderRequest } from './chat-request.ts';
import type { StreamPart } from './stream-part.ts';

/** What every call to an adapter carries besides the request. */
export interface ProviderCallOptions {
  /** Aborted when the request is cancelled, times out or its client leaves: close the upstream at once. */
  signal: AbortSignal;
  /** The request's child logger (it carries the request id). */
  log: Logger;
  /** Sluice's id for this request, sent upstream as `x-request-id`. */
  requestId: string;
  /** The W3C `traceparent` to send upstream (the client's trace, Sluice's span), when tracing. */
  traceparent?: string | undefined;
  /** How long the upstream may take to answer (response headers, or the WebSocket handshake). */
  connectTimeoutMs?: number;
}

/**
 * A provider adapter translates one upstream API into a stream of parts, and does nothing else.
 *
 * `stream` **rejects** with a GatewayError when the upstream fails before any output (so a router
 * may try another target), and once output has begun it reports failure as one `error` part
 * (never retried). Leaving the iteration early aborts the upstream call.
 */
export interface ProviderAdapter {
  stream(request: ProviderRequest, options: ProviderCallOptions): Promise<AsyncIterable<StreamPart>>;
}
