import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import { ReplyBody, type ReplyFlow, type ReplyReads } from './fetch-over-undici-dispatcher.ts';
import { type PartHandler, PushedParts } from './pushed-parts.ts';

/** What one kind of server-sent event stream makes of its events. */
export type EventStreamHandler<T> = PartHandler<EventSourceMessage, T>;

export interface EventStreamOptions {
  /**
   * After an ending event, whether the rest of the body is left to drain (so the HTTP client keeps
   * the connection for the next request) rather than destroyed. Only for a server that ends the body
   * right after its ending event.
   */
  drainAfterEnd: boolean;
  /** Fails the stream when an event (or a line) grows beyond this many characters. */
  maxBufferSize?: number;
}

/**
 * Reads a streamed server-sent events response body into parts at the cost of one promise per
 * network read: each read feeds the parser and the handler synchronously, the parts wait in a queue,
 * and `next()` hands out a queued part at once or waits for the next read. No async generator and
 * no stream async iterator sit between the socket and the parts: those cost several promises per
 * token, more CPU than all of Sluice's own work per token. A body from Sluice's own fetch
 * (providers/shared/fetch-over-undici-dispatcher.ts) hands its reads over straight from undici, without
 * a Node stream's `data` event and `nextTick` per read; any other body is read through a Node stream.
 *
 * When a read arrives while parts of the one before still wait unasked for, the body is paused until
 * the consumer has taken them all, which leaves the bytes in the socket and so pushes back on the
 * upstream (pausing on every read would cost a fast consumer a pause and a resume per read).
 * `return()` before the end closes the connection. Nothing is read before the first `next()`; one
 * `next()` at a time, as `for await` and `startOnFirstPart` ask.
 */
export function readEventStreamBody<T>(
  response: Response,
  handler: EventStreamHandler<T>,
  options: EventStreamOptions,
): AsyncIterableIterator<T> {
  return new EventStreamReader(response, handler, options);
}

const ignore = () => {};

/** What Node's own stream readers throw for a stream closed before it ended. */
const prematureClose = () =>
  Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });

/** A Node stream's reads as a flow: the body of a reply from any other fetch, or a compressed one. */
function streamFlow(body: Readable, reads: ReplyReads): ReplyFlow {
  const onEnd = () => {
    stop();
    reads.end();
  };
  const onError = (error: Error) => {
    stop();
    reads.error(error);
  };
  // A body closed without `end` or `error` was cut short.
  const onClose = () => onError(prematureClose());
  const stop = () => {
    body.off('data', reads.data);
    body.off('end', onEnd);
    body.off('error', onError);
    body.off('close', onClose);
    // An error it emits from then on is ignored rather than thrown.
    if (body.listenerCount('error') === 0) body.on('error', ignore);
  };
  body.on('data', reads.data);
  body.on('end', onEnd);
  body.on('error', onError);
  body.on('close', onClose);
  return {
    pause: () => body.pause(),
    resume: () => {
      if (body.isPaused()) body.resume();
    },
    drain: () => {
      stop();
      body.resume();
    },
    close: () => {
      stop();
      body.destroy();
    },
  };
}

class EventStreamReader<T> extends PushedParts<T> {
  readonly #response: Response;
  readonly #handler: EventStreamHandler<T>;
  readonly #drainAfterEnd: boolean;
  readonly #parser;
  // A character may be split between two reads.
  readonly #decoder = new StringDecoder('utf8');
  #flow: ReplyFlow | undefined;

  constructor(response: Response, handler: EventStreamHandler<T>, options: EventStreamOptions) {
    super({
      start: () => this.#start(),
      resume: () => this.#flow!.resume(),
      // Leaving early (a cancel, an error) closes the connection.
      cancel: () => {
        if (this.#flow) this.#flow.close();
        else {
          const body = this.#response.body as Readable | ReadableStream<Uint8Array> | null;
          if (body instanceof Readable) body.destroy();
          else void body?.cancel();
        }
      },
    });
    this.#response = response;
    this.#handler = handler;
    this.#drainAfterEnd = options.drainAfterEnd;
    this.#parser = createParser({
      onEvent: (event) => this.#onEvent(event),
      onError: (error) => this.#onParseError(error),
      maxBufferSize: options.maxBufferSize,
    });
  }

  /** Starts reading the body; a rejection when there is none. */
  #start(): Promise<never> | undefined {
    const body = this.#response.body as Readable | ReadableStream<Uint8Array> | null;
    if (!body) return Promise.reject(new SyntaxError('Error reading response: no body'));
    if (body instanceof ReplyBody) this.#flow = body.takeReads(this.#reads);
    if (!this.#flow) {
      const stream =
        body instanceof Readable ? body : Readable.fromWeb(body as WebReadableStream<Uint8Array>);
      // A body that failed before the first `next()` emits nothing more.
      if (stream.destroyed) return Promise.reject(stream.errored ?? prematureClose());
      this.#flow = streamFlow(stream, this.#reads);
    }
    this.#flow.resume();
    return undefined;
  }

  readonly #reads: ReplyReads = {
    data: (chunk) => {
      // Parts of the last read still wait and nobody asks for them: the consumer is behind.
      const behind = this.unasked > 0;
      this.#parser.feed(this.#decoder.write(chunk));
      if (this.failed) this.#flow!.close();
      else if (this.ended) {
        if (this.#drainAfterEnd) this.#flow!.drain();
        else this.#flow!.close();
      }
      this.settle();
      // Until the consumer catches up the body stays paused, and the socket keeps the rest.
      if (behind && !this.ended && !this.failed) this.#flow!.pause();
    },
    end: () => {
      this.#finish();
      this.settle();
    },
    error: (error) => {
      this.fail(error);
      this.settle();
    },
  };

  #onEvent(event: EventSourceMessage): void {
    if (this.ended || this.failed) return;
    let ends: boolean;
    try {
      ends = this.#handler.event(event, this.parts);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (ends) this.#finish();
  }

  /** Malformed lines are skipped, as by EventSource; only an event beyond the size limit fails the stream. */
  #onParseError(error: ParseError): void {
    if (error.type === 'max-buffer-size-exceeded') this.fail(error);
  }

  #finish(): void {
    this.end();
    this.#handler.end(this.parts);
  }
}
