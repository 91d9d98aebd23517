import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
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
 * network read: the body's `data` events feed the parser and the handler synchronously, the parts
 * wait in a queue, and `next()` hands out a queued part at once or waits for the next read. No async
 * generator and no stream async iterator sit between the socket and the parts: those cost several
 * promises per token, more CPU than all of Sluice's own work per token.
 *
 * When a read arrives while parts of the one before still wait unasked for, the body is paused until
 * the consumer has taken them all, which leaves the bytes in the socket and so pushes back on the
 * upstream (pausing on every read would cost a fast consumer a pause and a resume per read).
 * `return()` before the end destroys the body (closing the connection). Nothing is read before the
 * first `next()`; one `next()` at a time, as `for await` and `startOnFirstPart` ask.
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

class EventStreamReader<T> extends PushedParts<T> {
  readonly #response: Response;
  readonly #handler: EventStreamHandler<T>;
  readonly #drainAfterEnd: boolean;
  readonly #parser;
  #body: Readable | undefined;

  constructor(response: Response, handler: EventStreamHandler<T>, options: EventStreamOptions) {
    super({
      start: () => this.#start(),
      resume: () => {
        if (this.#body?.isPaused()) this.#body.resume();
      },
      // Leaving early (a cancel, an error) closes the connection.
      cancel: () => {
        const body = this.#stop() ?? this.#response.body;
        if (body instanceof Readable) body.destroy();
        else void body?.cancel();
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
    // A Node stream from Sluice's own fetch (providers/shared/fetch-over-undici-request.ts); a web
    // stream from any other fetch is read through a Node stream too.
    this.#body = body instanceof Readable ? body : Readable.fromWeb(body as WebReadableStream<Uint8Array>);
    // A body that failed before the first `next()` emits nothing more.
    if (this.#body.destroyed) return Promise.reject(this.#body.errored ?? prematureClose());
    this.#body.setEncoding('utf8');
    this.#body.on('data', this.#onData);
    this.#body.on('end', this.#onEnd);
    this.#body.on('error', this.#onError);
    this.#body.on('close', this.#onClose);
    return undefined;
  }

  /**
   * Stops listening to the body and hands it back, so the caller may drain or destroy it; an error
   * it emits from then on is ignored rather than thrown.
   */
  #stop(): Readable | undefined {
    const body = this.#body;
    body?.off('data', this.#onData);
    body?.off('end', this.#onEnd);
    body?.off('error', this.#onError);
    body?.off('close', this.#onClose);
    if (body?.listenerCount('error') === 0) body.on('error', ignore);
    return body;
  }

  readonly #onData = (text: string): void => {
    // Parts of the last read still wait and nobody asks for them: the consumer is behind.
    const behind = this.unasked > 0;
    this.#parser.feed(text);
    if (this.failed) this.#stop()?.destroy();
    else if (this.ended) {
      const body = this.#stop();
      if (this.#drainAfterEnd) body?.resume();
      else body?.destroy();
    }
    this.settle();
    // Until the consumer catches up the body stays paused, and the socket keeps the rest.
    if (behind && !this.ended && !this.failed) this.#body?.pause();
  };

  readonly #onEnd = (): void => {
    this.#stop();
    this.#finish();
    this.settle();
  };

  readonly #onError = (error: unknown): void => {
    this.#stop();
    this.fail(error);
    this.settle();
  };

  /** A body closed without `end` or `error` was cut short. */
  readonly #onClose = (): void => {
    this.#onError(prematureClose());
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
