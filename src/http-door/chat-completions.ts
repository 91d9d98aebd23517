import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Identity } from '../auth/identity.ts';
import type { Gateway } from '../pipeline/create-gateway.ts';
import type { EventSink } from '../pipeline/request-record.ts';
import { serveChat } from '../pipeline/serve-chat.ts';
import type { GatewayEvent } from '../spec/gateway-event.ts';
import {
  createOpenAiChunkEncoder,
  createOpenAiCompletionAssembler,
  encodeOpenAiError,
  encodeSseData,
  type OpenAiCompletionEnvelope,
  sseDoneEvent,
} from '../wire/encode-openai-chunk.ts';
import { parseOpenAiRequest } from '../wire/parse-openai-request.ts';
import { readJsonBody } from './read-json-body.ts';
import { sendError, sendJson } from './send-json.ts';

export interface ChatCompletionsOptions {
  gateway: Gateway;
  log: Logger;
  /** Largest request body accepted (`server.max_body_bytes`). */
  maxBodyBytes: number;
}

/** Why a request's controller was aborted when its client hung up: a cancellation, not a failure. */
const clientGone = 'client disconnected';

/** Writes; when the socket's buffer is full, returns a promise that resolves once it drains (or the client leaves). */
function write(response: ServerResponse, text: string): Promise<void> | undefined {
  // A response whose client has already gone emits neither `drain` nor `close` again.
  if (response.write(text) || response.destroyed) return undefined;
  return new Promise<void>((resolve) => {
    const resume = () => {
      response.off('drain', resume);
      response.off('close', resume);
      resolve();
    };
    response.on('drain', resume);
    response.on('close', resume);
  });
}

/** Sends one request's events as Server-Sent Events; a failure before the first byte is a plain HTTP error. */
function streamSink(
  response: ServerResponse,
  envelope: OpenAiCompletionEnvelope,
  includeUsage: boolean,
  signal: AbortSignal,
): EventSink {
  const encoder = createOpenAiChunkEncoder(envelope, includeUsage);
  /** The headers and the role chunk, before the first event that needs them. */
  const open = () => {
    if (response.headersSent) return undefined;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // Tells nginx-style proxies not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    return write(response, encodeSseData(encoder.role()));
  };
  const finish = async (event: Extract<GatewayEvent, { type: 'done' }>) => {
    await open();
    await write(response, encodeSseData(encoder.finish(event.finishReason)));
    if (includeUsage) await write(response, encodeSseData(encoder.usage(event.usage)));
    response.end(sseDoneEvent);
  };
  return (event) => {
    // Once the client has gone, the events still come to their end, so the request ends as cancelled.
    if (signal.aborted) return undefined;
    switch (event.type) {
      case 'start':
        return open();
      case 'done':
        return finish(event);
      case 'error':
        // An answer already ended (a sink that failed after its end) gets nothing more.
        if (response.writableEnded) return undefined;
        // Past the headers, OpenAI reports a failure as an `error` event and ends the stream.
        if (response.headersSent) response.end(encodeSseData(encodeOpenAiError(event.error)));
        else sendError(response, event.error);
        return undefined;
      default: {
        const opening = open();
        if (opening) return opening.then(() => write(response, encodeSseData(encoder.output(event))));
        return write(response, encodeSseData(encoder.output(event)));
      }
    }
  };
}

/** Collects one request's events into a single `chat.completion`, or an HTTP error. */
function completionSink(
  response: ServerResponse,
  envelope: OpenAiCompletionEnvelope,
  signal: AbortSignal,
): EventSink {
  const assembler = createOpenAiCompletionAssembler(envelope);
  return (event) => {
    if (signal.aborted) return undefined;
    switch (event.type) {
      case 'start':
        break;
      case 'done':
        sendJson(response, 200, assembler.complete(event.finishReason, event.usage));
        break;
      case 'error':
        if (!response.writableEnded) sendError(response, event.error);
        break;
      default:
        assembler.add(event);
    }
    return undefined;
  };
}

/**
 * `POST /v1/chat/completions`: OpenAI's Chat Completions, streaming (SSE) or not, run through the same
 * pipeline as the WebSocket door. The client hanging up aborts the request like a WebSocket cancel.
 */
export function createChatCompletionsRoute({ gateway, log, maxBodyBytes }: ChatCompletionsOptions) {
  return async (identity: Identity, request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readJsonBody(request, maxBodyBytes);
    const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
    const call = parseOpenAiRequest(body, id);
    if ('error' in call) {
      sendError(response, call.error, call.param);
      return;
    }
    const envelope = { id, created: Math.floor(Date.now() / 1000), model: call.request.model };
    const traceparent = request.headers.traceparent;
    const chat = serveChat({
      gateway,
      request: call.request,
      identity,
      log,
      clientRequestId: id,
      traceparent: typeof traceparent === 'string' ? traceparent : undefined,
    });
    const { controller } = chat;
    response.once('close', () => {
      if (!response.writableFinished) controller.abort(clientGone);
    });
    // The client may have gone while its body was being read: then `close` has already passed.
    if (response.destroyed) controller.abort(clientGone);
    response.setHeader('x-request-id', chat.requestId);
    await chat.run(
      call.stream
        ? streamSink(response, envelope, call.includeUsage, controller.signal)
        : completionSink(response, envelope, controller.signal),
    );
  };
}
