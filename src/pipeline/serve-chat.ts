import type { Logger } from 'pino';
import type { Identity } from '../auth/identity.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ChatRequest } from '../spec/chat-request.ts';
import type { Gateway } from './create-gateway.ts';
import { newRequestId } from './new-request-id.ts';
import type { EventSink } from './request-record.ts';

/** What a door knows of a request before it runs it. */
export interface ServeChatOptions {
  gateway: Pick<Gateway, 'runChat'>;
  request: ChatRequest;
  identity: Identity;
  /** The door's logger: the request logs through a child of it. */
  log: Logger;
  /** The id the client knows the request by (its `id`, or the completion's id), for the log. */
  clientRequestId: string;
  /** The client's W3C `traceparent`, when it sent one. */
  traceparent?: string;
}

/** One request as a door serves it: its handles, made before it runs, and the run itself. */
export interface ServedChat {
  /** Sluice's id for the request (a UUID v7), in its log lines, the ledger and its response. */
  readonly requestId: string;
  readonly log: Logger;
  /** The request's controller: aborting it cancels the request (a GatewayError reason fails it). */
  readonly controller: AbortController;
  /**
   * Runs the request, handing its events to `sink`; resolves once it has ended, never rejects. The
   * sink sees exactly one `done` or `error`, last: when the pipeline fails before its end, an
   * `internal` error.
   */
  run(sink: EventSink): Promise<void>;
}

/**
 * The per-request set-up both doors share: a request id, a logger that names it, an AbortController,
 * the trace context, and the guarantee that the request ends with one terminal event. The doors only
 * encode events (and may hold the request back before it runs, as the WebSocket door's in-flight
 * budget does).
 */
export function serveChat({
  gateway,
  request,
  identity,
  log,
  clientRequestId,
  traceparent,
}: ServeChatOptions): ServedChat {
  const requestId = newRequestId();
  const requestLog = log.child({ request_id: requestId, client_request_id: clientRequestId });
  const controller = new AbortController();
  return {
    requestId,
    log: requestLog,
    controller,
    async run(sink) {
      let ended = false;
      // Only the end stage sends a terminal event; this notes whether it got as far as the sink.
      const guarded: EventSink = (event) => {
        if (event.type === 'done' || event.type === 'error') ended = true;
        return sink(event);
      };
      try {
        await gateway.runChat(
          request,
          { requestId, identity, signal: controller.signal, log: requestLog, traceparent },
          guarded,
        );
      } catch (error) {
        requestLog.error({ err: error }, 'request failed inside the pipeline');
      }
      if (ended) return;
      try {
        await sink({
          type: 'error',
          error: new GatewayError('internal', 'the request failed inside Sluice'),
        });
      } catch (error) {
        requestLog.error({ err: error }, 'sending the internal error failed');
      }
    },
  };
}
