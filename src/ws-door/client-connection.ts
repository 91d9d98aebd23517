import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { Identity } from '../auth/identity.ts';
import type { Config } from '../config/schema.ts';
import { GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import type { Gateway } from '../pipeline/create-gateway.ts';
import type { GatewayEvent } from '../pipeline/gateway-event.ts';
import { newRequestId } from '../pipeline/new-request-id.ts';
import { clientGone, type ResumeService } from '../resume/create-resume-service.ts';
import type { ChatRequest } from '../spec/chat-request.ts';
import { encodeDone, encodeError, encodeReady, encodeStart } from '../wire/encode-ws-event.ts';
import { parseClientFrame } from '../wire/parse-client-frame.ts';
import { createConnectionSender } from './connection-sender.ts';
import { createDeltaMerger } from './delta-merger.ts';

/** Close code for abuse such as too many bad frames (PROTOCOL.md). */
const policyViolation = 1008;

export interface ClientConnectionOptions {
  socket: WebSocket;
  gateway: Gateway;
  config: Config;
  log: Logger;
  identity: Identity;
  /** The user's plan and remaining allowance, for `ready`. */
  limits: Record<string, unknown>;
  /** The TCP (or TLS) socket under the WebSocket, for batching writes. */
  rawSocket: Duplex;
  /** Present when streams are resumable: requests outlive a dropped connection for a grace period. */
  resume?: ResumeService;
}

/** A request this connection serves: one it started, or one it resumed. */
interface OpenRequest {
  /** The client sent `cancel`. */
  cancel(): void;
  /** The connection closed. */
  leave(): void;
}

/**
 * Serves one WebSocket client: decodes its frames, runs each `chat` as its own request (many at once),
 * cancels on `cancel` or disconnect, and answers every bad frame with an `error` event.
 */
export function serveClientConnection({
  socket,
  gateway,
  config,
  log,
  identity,
  limits,
  rawSocket,
  resume,
}: ClientConnectionOptions): void {
  const openRequests = new Map<string, OpenRequest>();
  const highWater = config.server.send_high_water_bytes;
  let badFrames = 0;

  const sender = createConnectionSender(socket, rawSocket);
  const send = (text: string) => sender.send(text);

  /** Whether another request may open on this connection; answers the client when not. */
  const mayOpen = (id: string) => {
    if (openRequests.has(id)) {
      send(encodeError(new GatewayError('duplicate_id', `request "${id}" is already open`), id));
      return false;
    }
    if (openRequests.size >= config.server.max_requests_per_connection) {
      const message = `at most ${config.server.max_requests_per_connection} requests may run at once on one connection`;
      send(encodeError(new GatewayError('rate_limited', message), id));
      return false;
    }
    return true;
  };

  const refuseFrame = (error: GatewayError, id?: string) => {
    badFrames++;
    send(encodeError(error, id));
    if (badFrames > config.server.max_bad_frames) {
      socket.close(policyViolation, 'too many invalid frames');
    }
  };

  async function relay(request: ChatRequest, controller: AbortController): Promise<void> {
    const requestId = newRequestId();
    const requestLog = log.child({ request_id: requestId, client_request_id: request.id });
    const tracked = resume?.track(identity.user, request.id, controller);
    // Every frame of the request goes to its client while connected, and to its resume log.
    const emit = tracked
      ? (frame: string) => {
          send(frame);
          tracked.record(frame);
        }
      : send;
    openRequests.set(request.id, {
      cancel: () => controller.abort('cancelled by the client'),
      leave: () => (tracked ? tracked.clientLeft() : controller.abort(clientGone)),
    });
    let seq = 0;
    let ended = false;
    const deltas = createDeltaMerger({
      sender,
      send: emit,
      requestId: request.id,
      highWaterBytes: highWater,
      // A quarter of the mark: what a congested connection holds stays within 1.25 times it per request.
      mergeLimit: Math.max(1024, Math.floor(highWater / 4)),
      nextSeq: () => ++seq,
    });
    /** Encodes one event; only a congested connection makes the pipeline wait (the merger's promise). */
    const relayEvent = (event: GatewayEvent): Promise<void> | undefined => {
      switch (event.type) {
        case 'start':
          emit(encodeStart(request.id, event.model, event.provider, event.cached, event.warnings));
          return undefined;
        case 'done':
          ended = true;
          deltas.flush();
          emit(encodeDone(request.id, ++seq, event.finishReason, event.usage, event.costUsd, event.quota));
          return undefined;
        case 'error':
          ended = true;
          deltas.flush();
          emit(encodeError(event.error, request.id));
          return undefined;
        default:
          return deltas.push(event);
      }
    };
    try {
      await gateway.runChat(
        request,
        {
          requestId,
          identity,
          signal: controller.signal,
          log: requestLog,
          // The browser's WebSocket API cannot set headers, so a trace context rides in the chat's metadata.
          traceparent:
            typeof request.metadata?.traceparent === 'string' ? request.metadata.traceparent : undefined,
        },
        relayEvent,
      );
    } catch (error) {
      requestLog.error({ err: error }, 'request failed inside the pipeline');
    } finally {
      openRequests.delete(request.id);
      // The terminal guard: a request always ends with exactly one done or error.
      if (!ended)
        emit(encodeError(new GatewayError('internal', 'the request failed inside Sluice'), request.id));
      tracked?.end();
    }
  }

  function startChat(request: ChatRequest): void {
    if (!mayOpen(request.id)) return;
    void relay(request, new AbortController());
  }

  /**
   * Re-attaches this connection to a request of the same user (running here, on another instance,
   * or finished within its retention time): its frames after `afterSeq`, then the live rest.
   */
  async function replay(service: ResumeService, id: string, afterSeq: number): Promise<void> {
    const reading = new AbortController();
    openRequests.set(id, {
      cancel: () =>
        void service.cancel(identity.user, id).catch((error: unknown) => {
          send(encodeError(toGatewayError(error), id));
        }),
      leave: () => reading.abort(),
    });
    try {
      // The log ends only after the request's terminal frame, so the loop ends with it.
      for await (const frame of service.resume(identity.user, id, afterSeq, reading.signal)) {
        send(frame);
        // A replay can be long: keep within the high-water mark like a live request.
        if (sender.buffered() >= highWater) await sender.flushed();
      }
    } catch (error) {
      if (!reading.signal.aborted) send(encodeError(toGatewayError(error), id));
    } finally {
      openRequests.delete(id);
    }
  }

  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) {
      refuseFrame(new GatewayError('bad_request', 'binary frames are not accepted; send JSON text frames'));
      return;
    }
    const frame = parseClientFrame(data.toString());
    if ('error' in frame) {
      refuseFrame(frame.error, frame.id);
      return;
    }
    switch (frame.type) {
      case 'chat':
        startChat(frame.request);
        break;
      case 'cancel': {
        const open = openRequests.get(frame.id);
        if (open) open.cancel();
        else send(encodeError(new GatewayError('not_found', `no open request "${frame.id}"`), frame.id));
        break;
      }
      case 'resume':
        if (!resume) {
          send(encodeError(new GatewayError('not_found', 'resuming is turned off on this server'), frame.id));
        } else if (mayOpen(frame.id)) {
          void replay(resume, frame.id, frame.afterSeq);
        }
        break;
    }
  });

  socket.on('close', () => {
    for (const open of openRequests.values()) open.leave();
  });
  socket.on('error', (error) => log.debug({ err: error }, 'websocket error'));

  send(encodeReady(identity.user, gateway.modelNames(identity), limits));
}
