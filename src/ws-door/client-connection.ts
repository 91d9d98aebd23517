import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { type RawData, WebSocket } from 'ws';
import type { Identity } from '../auth/identity.ts';
import type { Config } from '../config/schema.ts';
import { GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import type { Gateway } from '../pipeline/create-gateway.ts';
import { serveChat } from '../pipeline/serve-chat.ts';
import { clientGone, type ResumeService } from '../resume/create-resume-service.ts';
import type { ChatRequest } from '../spec/chat-request.ts';
import type { GatewayEvent } from '../spec/gateway-event.ts';
import { encodeDone, encodeError, encodeReady, encodeStart } from '../wire/encode-ws-event.ts';
import { parseClientFrame } from '../wire/parse-client-frame.ts';
import { createConnectionSender } from './connection-sender.ts';
import { createDeltaMerger } from './delta-merger.ts';
import type { InFlightBudget } from './in-flight-budget.ts';

/** Close code for abuse such as too many bad frames (docs/protocol.md). */
const policyViolation = 1008;
/** Close code for a failure inside Sluice that ends the connection (docs/protocol.md). */
const internalError = 1011;

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
  /** The server's bound on requests per user, orphans included. */
  inFlight: InFlightBudget;
  /** Whose share of `inFlight` this connection's requests take: its user, or its address when anonymous. */
  budgetHolder: string;
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
 *
 * A client cannot make Sluice hold more for it than it reads: while what is queued for the client is
 * over `send_high_water_bytes`, its frames are not read (the merger holds its requests' upstreams).
 * A client that keeps provoking errors (bad frames, unknown ids, duplicate ids, too many requests,
 * unknown models) is closed with 1008 after `max_bad_frames` of them. What a well-behaved client can
 * run into is not counted: a cancel that crossed its request's end is ignored, and resumes that find
 * nothing (after a long absence every request may have expired) count only past
 * `max_requests_per_connection` of them.
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
  inFlight,
  budgetHolder,
}: ClientConnectionOptions): void {
  const openRequests = new Map<string, OpenRequest>();
  const { max_requests_per_connection: maxRequests, send_high_water_bytes: highWater } = config.server;
  let badFrames = 0;
  let resumesNotFound = 0;
  /** Ids of the requests that ended last: a cancel of one of them crossed its end on the wire. */
  const recentlyEnded = new Set<string>();

  const sender = createConnectionSender(socket, rawSocket);
  const send = (text: string) => sender.send(text);
  /** The request `id` as the in-flight budget knows it: resuming finds it by user and id. */
  const budgetKeyOf = (id: string) => `${identity.user}\u0000${id}`;

  /** Counts a refused frame or a request the client should not have made; too many close the connection. */
  const countBadFrame = () => {
    badFrames++;
    if (badFrames > config.server.max_bad_frames) socket.close(policyViolation, 'too many invalid frames');
  };

  const refuseFrame = (error: GatewayError, id?: string) => {
    send(encodeError(error, id));
    countBadFrame();
  };

  const ended = (id: string) => {
    openRequests.delete(id);
    recentlyEnded.delete(id);
    recentlyEnded.add(id);
    // As many as may be open at once: a cancel can only have crossed the end of one of those.
    if (recentlyEnded.size > maxRequests) recentlyEnded.delete(recentlyEnded.values().next().value!);
  };

  /** Whether another request may open on this connection; refuses the frame when not. */
  const mayOpen = (id: string) => {
    if (openRequests.has(id)) {
      refuseFrame(new GatewayError('duplicate_id', `request "${id}" is already open`), id);
      return false;
    }
    if (openRequests.size >= maxRequests) {
      const message = `at most ${maxRequests} requests may run at once on one connection`;
      refuseFrame(new GatewayError('rate_limited', message), id);
      return false;
    }
    return true;
  };

  /** Stops reading the client's frames while what is queued for it is over the mark, until it has left. */
  const holdReadingWhileCongested = () => {
    if (socket.isPaused || sender.buffered() < highWater) return;
    socket.pause();
    void sender.flushed().then(() => socket.resume());
  };

  async function relay(request: ChatRequest): Promise<void> {
    const chat = serveChat({
      gateway,
      request,
      identity,
      log,
      clientRequestId: request.id,
      // The browser's WebSocket API cannot set headers, so a trace context rides in the chat's metadata.
      traceparent:
        typeof request.metadata?.traceparent === 'string' ? request.metadata.traceparent : undefined,
    });
    const { controller } = chat;
    // Until the budget admits it, a request whose client leaves is simply cancelled.
    let leave = () => controller.abort(clientGone);
    openRequests.set(request.id, {
      cancel: () => controller.abort('cancelled by the client'),
      leave: () => leave(),
    });
    const slot = await inFlight.admit(budgetHolder, budgetKeyOf(request.id), () =>
      controller.abort(clientGone),
    );
    if (!slot) {
      ended(request.id);
      const message = `at most ${config.server.max_requests_per_user} requests of one user may run at once`;
      send(encodeError(new GatewayError('rate_limited', message), request.id));
      return;
    }
    const tracked = resume?.track(identity.user, request.id, controller);
    // Every frame of the request goes to its client while connected, and to its resume log.
    const emit = tracked
      ? (frame: string) => {
          send(frame);
          tracked.record(frame);
        }
      : send;
    leave = () => {
      slot.leave();
      if (tracked) tracked.clientLeft();
      else controller.abort(clientGone);
    };
    let seq = 0;
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
          deltas.flush();
          emit(encodeDone(request.id, ++seq, event.finishReason, event.usage, event.costUsd, event.quota));
          return undefined;
        case 'error':
          deltas.flush();
          emit(encodeError(event.error, request.id));
          // An unknown model (or prompt): each costs a log line, and only a client's mistake makes one.
          if (event.error.code === 'not_found') countBadFrame();
          return undefined;
        default:
          return deltas.push(event);
      }
    };
    try {
      await chat.run(relayEvent);
    } finally {
      ended(request.id);
      tracked?.end();
      slot.end();
    }
  }

  /** Answers a resume that found nothing; past one per request a connection may run, it counts as bad. */
  const resumeNotFound = (error: GatewayError, id: string) => {
    send(encodeError(error, id));
    resumesNotFound++;
    if (resumesNotFound > maxRequests) countBadFrame();
  };

  /**
   * Re-attaches this connection to a request of the same user (running here, on another instance,
   * or finished within its retention time): its frames after `afterSeq`, then the live rest.
   */
  async function replay(service: ResumeService, id: string, afterSeq: number): Promise<void> {
    const reading = new AbortController();
    // A request of this instance that a connection reads again is no orphan of the budget.
    const stopReading = inFlight.attach(budgetKeyOf(id));
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
      const failure = toGatewayError(error);
      if (reading.signal.aborted) return;
      if (failure.code === 'not_found') resumeNotFound(failure, id);
      else send(encodeError(failure, id));
    } finally {
      stopReading();
      ended(id);
    }
  }

  /**
   * A bug in Sluice, not the client's fault: thrown out of `ws`'s read (or left as an unhandled
   * rejection) it would end the process, so it ends this connection instead, with the protocol's code.
   */
  const failConnection = (error: unknown) => {
    log.error({ err: error }, 'serving a client frame failed inside Sluice');
    socket.close(internalError, 'internal error');
  };

  socket.on('message', (data: RawData, isBinary: boolean) => {
    try {
      handleFrame(data, isBinary);
    } catch (error) {
      failConnection(error);
      return;
    }
    holdReadingWhileCongested();
  });

  function handleFrame(data: RawData, isBinary: boolean): void {
    // Frames that arrive after Sluice closed the connection (for abuse, say) are not served.
    if (socket.readyState !== WebSocket.OPEN) return;
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
        if (mayOpen(frame.request.id)) relay(frame.request).catch(failConnection);
        break;
      case 'cancel': {
        const open = openRequests.get(frame.id);
        if (open) open.cancel();
        else if (!recentlyEnded.has(frame.id))
          refuseFrame(new GatewayError('not_found', `no open request "${frame.id}"`), frame.id);
        break;
      }
      case 'resume':
        if (!resume) {
          resumeNotFound(new GatewayError('not_found', 'resuming is turned off on this server'), frame.id);
        } else if (mayOpen(frame.id)) {
          replay(resume, frame.id, frame.afterSeq).catch(failConnection);
        }
        break;
    }
  }

  socket.on('close', () => {
    for (const open of openRequests.values()) open.leave();
  });
  socket.on('error', (error) => log.debug({ err: error }, 'websocket error'));

  send(encodeReady(identity.user, gateway.modelNames(identity), limits));
}
