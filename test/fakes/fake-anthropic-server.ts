import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import {
  type FakeHttpServer,
  type RecordedRequest,
  type SseWriteOptions,
  startFakeHttpServer,
  startSseResponse,
  writeSseEvent,
} from './fake-http-server.ts';

/** One server-sent event of Anthropic's Messages stream: its `event:` name and its `data:` JSON. */
export interface AnthropicSseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** How a scripted stream ends after its last event. */
export type StreamEnding =
  /** The response ends cleanly, as every real stream does after `message_stop` (or an `error` event). */
  | 'end'
  /** The connection is dropped mid-response: no terminating chunk, no `message_stop`. */
  | 'drop'
  /** Nothing more is sent and the response stays open until the client goes away. */
  | 'stall';

/** A scripted answer to one `POST /v1/messages`. */
export type FakeAnthropicReply =
  | {
      kind: 'stream';
      events: AnthropicSseEvent[];
      /** How the events are cut into TCP writes (CRLF, keep-alive comments, split mid-character). */
      write?: SseWriteOptions;
      ending?: StreamEnding;
    }
  | {
      /** An HTTP error before any streaming, with Anthropic's error JSON. */
      kind: 'http-error';
      status: number;
      errorType: string;
      message: string;
      /** The `retry-after` header, in seconds, when the real API would send one. */
      retryAfter?: string;
    }
  | {
      /** The request is taken but never answered, not even with headers, until the client goes away. */
      kind: 'silence';
    };

/** A real loopback server speaking Anthropic's Messages API, answering each request from a script. */
export interface FakeAnthropicServer extends FakeHttpServer {
  /** The only API key the fake accepts. */
  apiKey: string;
  /** Queues replies; each request takes the next one, and the default text reply once the queue is empty. */
  reply(...replies: FakeAnthropicReply[]): void;
  /** Resolves when the next request has arrived and been recorded. */
  nextRequest(): Promise<RecordedRequest>;
  /** Resolves when the connection that carried `request` has closed. */
  connectionClosed(request: RecordedRequest): Promise<void>;
}

let sequence = 0;
function nextId(prefix: string): string {
  sequence++;
  return `${prefix}_01${String(sequence).padStart(22, '0')}`;
}

/** The `message_start` event, with the message shell and input usage as Anthropic sends them. */
export function messageStart(
  options: {
    model?: string;
    inputTokens?: number;
    cacheCreationInputTokens?: number;
    cacheReadInputTokens?: number;
  } = {},
): AnthropicSseEvent {
  return {
    event: 'message_start',
    data: {
      type: 'message_start',
      message: {
        id: nextId('msg'),
        type: 'message',
        role: 'assistant',
        model: options.model ?? 'claude-sonnet-5-5',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: options.inputTokens ?? 25,
          cache_creation_input_tokens: options.cacheCreationInputTokens ?? 0,
          cache_read_input_tokens: options.cacheReadInputTokens ?? 0,
          output_tokens: 1,
        },
      },
    },
  };
}

/** The `ping` event Anthropic interleaves to keep the connection warm. */
export function ping(): AnthropicSseEvent {
  return { event: 'ping', data: { type: 'ping' } };
}

function blockStart(index: number, contentBlock: Record<string, unknown>): AnthropicSseEvent {
  return {
    event: 'content_block_start',
    data: { type: 'content_block_start', index, content_block: contentBlock },
  };
}

function blockDelta(index: number, delta: Record<string, unknown>): AnthropicSseEvent {
  return { event: 'content_block_delta', data: { type: 'content_block_delta', index, delta } };
}

function blockStop(index: number): AnthropicSseEvent {
  return { event: 'content_block_stop', data: { type: 'content_block_stop', index } };
}

/** A text content block streamed as the given pieces. */
export function textBlock(index: number, pieces: string[]): AnthropicSseEvent[] {
  return [
    blockStart(index, { type: 'text', text: '' }),
    ...pieces.map((text) => blockDelta(index, { type: 'text_delta', text })),
    blockStop(index),
  ];
}

/** A thinking block: its text as `thinking_delta` pieces, then the `signature_delta` that closes it. */
export function thinkingBlock(
  index: number,
  pieces: string[],
  signature = 'EqQBCgIYAhIM1gbcDa9GJwZA2b3h',
): AnthropicSseEvent[] {
  return [
    blockStart(index, { type: 'thinking', thinking: '', signature: '' }),
    ...pieces.map((thinking) => blockDelta(index, { type: 'thinking_delta', thinking })),
    blockDelta(index, { type: 'signature_delta', signature }),
    blockStop(index),
  ];
}

/** A `tool_use` block whose input JSON arrives as `input_json_delta` fragments. */
export function toolUseBlock(
  index: number,
  tool: { id?: string; name: string; jsonPieces: string[] },
): AnthropicSseEvent[] {
  return [
    blockStart(index, { type: 'tool_use', id: tool.id ?? nextId('toolu'), name: tool.name, input: {} }),
    ...tool.jsonPieces.map((partial_json) => blockDelta(index, { type: 'input_json_delta', partial_json })),
    blockStop(index),
  ];
}

/** The `message_delta` event carrying the stop reason and the final output usage. */
export function messageDelta(
  options: {
    stopReason?: string;
    stopSequence?: string | null;
    outputTokens?: number;
    inputTokens?: number;
  } = {},
): AnthropicSseEvent {
  // Only newer API versions repeat the cumulative input count here, so it is there only when asked for.
  const input = options.inputTokens === undefined ? {} : { input_tokens: options.inputTokens };
  return {
    event: 'message_delta',
    data: {
      type: 'message_delta',
      delta: { stop_reason: options.stopReason ?? 'end_turn', stop_sequence: options.stopSequence ?? null },
      usage: { ...input, output_tokens: options.outputTokens ?? 12 },
    },
  };
}

/** The `message_stop` event that ends every complete stream. */
export function messageStop(): AnthropicSseEvent {
  return { event: 'message_stop', data: { type: 'message_stop' } };
}

/** The in-band `error` event Anthropic sends when a stream fails after it has begun. */
export function errorEvent(errorType = 'overloaded_error', message = 'Overloaded'): AnthropicSseEvent {
  return { event: 'error', data: { type: 'error', error: { type: errorType, message } } };
}

/** A whole streamed text reply in the order Anthropic sends it. */
export function textReply(
  pieces: string[],
  usage: { inputTokens?: number; outputTokens?: number } = {},
): AnthropicSseEvent[] {
  const [start, ...rest] = textBlock(0, pieces);
  return [
    messageStart({ inputTokens: usage.inputTokens }),
    start!,
    ping(),
    ...rest,
    messageDelta({ outputTokens: usage.outputTokens }),
    messageStop(),
  ];
}

/** Folds a scripted stream into the single `Message` a non-streaming request gets. */
export function messageFromEvents(events: AnthropicSseEvent[]): Record<string, unknown> {
  const start = events.find((event) => event.event === 'message_start');
  const message = structuredClone((start?.data.message ?? {}) as Record<string, unknown>);
  const content: Array<Record<string, unknown>> = [];
  const partialJson = new Map<number, string>();
  for (const { data } of events) {
    if (data.type === 'content_block_start') {
      content[data.index as number] = structuredClone(data.content_block as Record<string, unknown>);
    } else if (data.type === 'content_block_delta') {
      const index = data.index as number;
      const block = content[index]!;
      const delta = data.delta as Record<string, string>;
      if (delta.type === 'text_delta') block.text = `${block.text}${delta.text}`;
      if (delta.type === 'thinking_delta') block.thinking = `${block.thinking}${delta.thinking}`;
      if (delta.type === 'signature_delta') block.signature = delta.signature;
      if (delta.type === 'input_json_delta')
        partialJson.set(index, (partialJson.get(index) ?? '') + delta.partial_json);
    } else if (data.type === 'content_block_stop' && partialJson.has(data.index as number)) {
      content[data.index as number]!.input = JSON.parse(partialJson.get(data.index as number) || '{}');
    } else if (data.type === 'message_delta') {
      Object.assign(message, data.delta);
      Object.assign(message.usage as object, data.usage);
    }
  }
  message.content = content;
  return message;
}

function sendError(
  response: ServerResponse,
  status: number,
  errorType: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const requestId = nextId('req');
  response.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId, ...headers });
  response.end(JSON.stringify({ type: 'error', error: { type: errorType, message }, request_id: requestId }));
}

/** The API takes a key as `x-api-key` or, as SDKs since API version 2026-10-21 send it, as a Bearer token. */
function presentedKey(request: RecordedRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header;
  return request.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
}

async function streamReply(response: ServerResponse, reply: Extract<FakeAnthropicReply, { kind: 'stream' }>) {
  startSseResponse(response, {
    'content-type': 'text/event-stream; charset=utf-8',
    'request-id': nextId('req'),
  });
  for (const { event, data } of reply.events) {
    await writeSseEvent(response, JSON.stringify(data), { ...reply.write, event });
  }
  const ending = reply.ending ?? 'end';
  if (ending === 'end') response.end();
  // Closing the socket under an unfinished chunked body is what a dropped upstream connection looks like.
  else if (ending === 'drop') response.socket?.destroySoon();
  else if (!response.closed) await once(response, 'close');
}

/** Starts a fake Anthropic API on a loopback port; it checks auth and headers the way the real API does. */
export async function startFakeAnthropicServer(
  options: { apiKey?: string } = {},
): Promise<FakeAnthropicServer> {
  const apiKey = options.apiKey ?? 'sk-ant-api03-fake-key-for-tests';
  const queue: FakeAnthropicReply[] = [];
  const requestWaiters: Array<(request: RecordedRequest) => void> = [];
  const closedConnections = new WeakMap<RecordedRequest, Promise<void>>();
  const server = await startFakeHttpServer(async (request, response) => {
    const socket = response.socket;
    closedConnections.set(
      request,
      !socket || socket.closed ? Promise.resolve() : once(socket, 'close').then(() => {}),
    );
    for (const wake of requestWaiters.splice(0)) wake(request);
    if (request.method !== 'POST' || new URL(request.url, 'http://fake').pathname !== '/v1/messages') {
      return sendError(response, 404, 'not_found_error', 'Not found');
    }
    if (presentedKey(request) !== apiKey) {
      return sendError(response, 401, 'authentication_error', 'invalid x-api-key');
    }
    if (!request.headers['anthropic-version']) {
      return sendError(response, 400, 'invalid_request_error', 'anthropic-version: header is required');
    }
    const reply = queue.shift() ?? { kind: 'stream', events: textReply(['Hello', '!']) };
    if (reply.kind === 'silence') {
      if (!response.closed) await once(response, 'close');
      return;
    }
    if (reply.kind === 'http-error') {
      const headers: Record<string, string> = reply.retryAfter ? { 'retry-after': reply.retryAfter } : {};
      return sendError(response, reply.status, reply.errorType, reply.message, headers);
    }
    if ((request.json as { stream?: unknown } | undefined)?.stream !== true) {
      response.writeHead(200, { 'content-type': 'application/json', 'request-id': nextId('req') });
      response.end(JSON.stringify(messageFromEvents(reply.events)));
      return;
    }
    await streamReply(response, reply);
  });
  return {
    ...server,
    apiKey,
    reply: (...replies) => queue.push(...replies),
    nextRequest: () => new Promise((resolve) => requestWaiters.push(resolve)),
    connectionClosed: (request) =>
      closedConnections.get(request) ?? Promise.reject(new Error('unknown request')),
  };
}
