import type { ServerResponse } from 'node:http';
import {
  type FakeHttpServer,
  type RecordedRequest,
  type SseWriteOptions,
  startFakeHttpServer,
  startSseResponse,
  writeSseEvent,
} from './fake-http-server.ts';

/**
 * One event a fake SSE upstream sends: `data` (may span lines) and an optional `event` name, or `raw`
 * text written as is, for lines no well-behaved server sends.
 */
export type FakeSseEvent = { data: string; event?: string } | { raw: string };

/** What a fake SSE upstream answers one request with. */
export interface FakeSseReply {
  /** An HTTP status other than 200 answers with `errorBody` instead of a stream. */
  status?: number;
  /** Extra response headers, e.g. `retry-after` with an error status. */
  headers?: Record<string, string>;
  errorBody?: string;
  events?: FakeSseEvent[];
  /** How the events are cut into writes: CRLF, `: keep-alive` comments, split mid-UTF-8-character. */
  write?: SseWriteOptions;
  /**
   * After the events: `end` the response (default; without a done event that is a stream that just
   * stops), `stall` until the client disconnects, or `reset` the TCP connection.
   */
  ending?: 'end' | 'stall' | 'reset';
}

/** A scriptable SSE upstream: a real HTTP server that records requests and open connections. */
export type FakeSseServer = FakeHttpServer;

// Plain listeners, not `events.once`: a reset connection emits 'error' before 'close', and that is no failure here.
function untilClientLeaves(response: ServerResponse): Promise<void> {
  const socket = response.socket;
  if (!socket || socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

async function answer(reply: FakeSseReply, response: ServerResponse): Promise<void> {
  const status = reply.status ?? 200;
  if (status !== 200) {
    response.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
    response.end(reply.errorBody ?? '');
    return;
  }
  startSseResponse(response, reply.headers);
  for (const event of reply.events ?? []) {
    if ('raw' in event) response.write(event.raw);
    else await writeSseEvent(response, event.data, { ...reply.write, event: event.event });
  }
  if (reply.ending === 'stall') await untilClientLeaves(response);
  else if (reply.ending === 'reset') response.socket?.destroy();
  else response.end();
}

/** Starts a fake SSE upstream that answers every request with `reply` (or what `reply` returns for it). */
export function startFakeSseServer(reply: FakeSseReply | ((request: RecordedRequest) => FakeSseReply)) {
  return startFakeHttpServer((request, response) =>
    answer(typeof reply === 'function' ? reply(request) : reply, response),
  );
}

/** Options of the very long stream. */
export interface LongSseStreamOptions {
  /** How many events to send before `data: [DONE]`. */
  eventCount: number;
  /** The data of event `index` (default: an OpenAI-style chunk whose text is `word<index> `). */
  eventData?: (index: number) => string;
}

/**
 * A fake SSE upstream that streams one very long answer exactly as fast as its client reads it
 * (it waits for `drain` whenever `write()` returns false), counting the events it managed to write.
 * With a client that stops reading, the count stops growing: that is how memory-bound tests see
 * that nothing between the client and this upstream buffers without limit.
 */
export interface LongSseServer extends FakeHttpServer {
  /** Events written so far, over every request. */
  eventsWritten(): number;
  /** Resolves with `eventsWritten()` once the writer is blocked waiting for `drain` (at once if it already is). */
  writerBlocked(): Promise<number>;
  /** Resolves when the first stream stops: `completed` after `[DONE]`, `client-closed` when the client left first. */
  streamEnded(): Promise<'completed' | 'client-closed'>;
}

/** The default event of the long stream, shaped like an OpenAI-compatible chat chunk. */
export function longStreamChunk(index: number): string {
  return JSON.stringify({
    choices: [{ index: 0, delta: { content: `word${index} ` }, finish_reason: null }],
  });
}

/** Starts the fake upstream of one very long SSE answer (see `LongSseServer`). */
export async function startLongSseServer(options: LongSseStreamOptions): Promise<LongSseServer> {
  const eventData = options.eventData ?? longStreamChunk;
  let written = 0;
  let blocked = false;
  const blockWaiters: Array<(count: number) => void> = [];
  const firstEnd = Promise.withResolvers<'completed' | 'client-closed'>();

  async function stream(response: ServerResponse): Promise<'completed' | 'client-closed'> {
    let clientLeft = false;
    const leaving = untilClientLeaves(response).then(() => {
      clientLeft = true;
    });
    for (let index = 0; index < options.eventCount; index++) {
      if (clientLeft) return 'client-closed';
      const accepted = response.write(`data: ${eventData(index)}\n\n`);
      written++;
      if (!accepted) {
        blocked = true;
        for (const wake of blockWaiters.splice(0)) wake(written);
        await Promise.race([new Promise((resolve) => response.once('drain', resolve)), leaving]);
        blocked = false;
      }
    }
    if (clientLeft) return 'client-closed';
    response.end('data: [DONE]\n\n');
    return 'completed';
  }

  const fake = await startFakeHttpServer(async (_request, response) => {
    startSseResponse(response);
    firstEnd.resolve(await stream(response));
  });
  return Object.assign(fake, {
    eventsWritten: () => written,
    writerBlocked: () =>
      blocked ? Promise.resolve(written) : new Promise<number>((resolve) => blockWaiters.push(resolve)),
    streamEnded: () => firstEnd.promise,
  });
}
