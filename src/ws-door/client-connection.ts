import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { Identity } from '../auth/identity.ts';
import type { Config } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Gateway } from '../pipeline/create-gateway.ts';
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
}

/** Why a request's controller was aborted when its client left: not a failure, a cancellation. */
const clientGone = 'client disconnected';

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
}: ClientConnectionOptions): void {
  const openRequests = new Map<string, AbortController>();
  const highWater = config.server.send_high_water_bytes;
  let badFrames = 0;

  const sender = createConnectionSender(socket, rawSocket);
  const send = (text: string) => sender.send(text);

  const refuseFrame = (error: GatewayError, id?: string) => {
    badFrames++;
    send(encodeError(error, id));
    if (badFrames > config.server.max_bad_frames) {
      socket.close(policyViolation, 'too many invalid frames');
    }
  };

  async function relay(request: ChatRequest, controller: AbortController): Promise<void> {
    const requestId = randomUUID();
    const requestLog = log.child({ request_id: requestId, client_request_id: request.id });
    let seq = 0;
    let ended = false;
    const deltas = createDeltaMerger({
      sender,
      requestId: request.id,
      highWaterBytes: highWater,
      // A quarter of the mark: what a congested connection holds stays within 1.25 times it per request.
      mergeLimit: Math.max(1024, Math.floor(highWater / 4)),
      nextSeq: () => ++seq,
    });
    try {
      const events = gateway.runChat(request, {
        requestId,
        identity,
        signal: controller.signal,
        log: requestLog,
        // The browser's WebSocket API cannot set headers, so a trace context rides in the chat's metadata.
        traceparent:
          typeof request.metadata?.traceparent === 'string' ? request.metadata.traceparent : undefined,
      });
      for await (const event of events) {
        switch (event.type) {
          case 'start':
            send(encodeStart(request.id, event.model, event.provider, event.cached, event.warnings));
            break;
          case 'done':
            ended = true;
            deltas.flush();
            send(encodeDone(request.id, ++seq, event.finishReason, event.usage, event.costUsd, event.quota));
            break;
          case 'error':
            ended = true;
            deltas.flush();
            send(encodeError(event.error, request.id));
            break;
          default: {
            const waiting = deltas.push(event);
            if (waiting) await waiting;
          }
        }
      }
    } catch (error) {
      requestLog.error({ err: error }, 'request failed inside the pipeline');
    } finally {
      openRequests.delete(request.id);
      // The terminal guard: a request always ends with exactly one done or error.
      if (!ended)
        send(encodeError(new GatewayError('internal', 'the request failed inside Sluice'), request.id));
    }
  }

  function startChat(request: ChatRequest): void {
    if (openRequests.has(request.id)) {
      send(
        encodeError(new GatewayError('duplicate_id', `request "${request.id}" is already open`), request.id),
      );
      return;
    }
    if (openRequests.size >= config.server.max_requests_per_connection) {
      const message = `at most ${config.server.max_requests_per_connection} requests may run at once on one connection`;
      send(encodeError(new GatewayError('rate_limited', message), request.id));
      return;
    }
    const controller = new AbortController();
    openRequests.set(request.id, controller);
    void relay(request, controller);
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
        const controller = openRequests.get(frame.id);
        if (controller) controller.abort('cancelled by the client');
        else send(encodeError(new GatewayError('not_found', `no open request "${frame.id}"`), frame.id));
        break;
      }
      case 'resume':
        send(encodeError(new GatewayError('not_found', `no resumable request "${frame.id}"`), frame.id));
        break;
    }
  });

  socket.on('close', () => {
    for (const controller of openRequests.values()) controller.abort(clientGone);
  });
  socket.on('error', (error) => log.debug({ err: error }, 'websocket error'));

  send(encodeReady(identity.user, gateway.modelNames(identity), limits));
}
