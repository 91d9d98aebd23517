import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { APIError } from 'openai';
import type { StreamPart } from '../../src/spec/stream-part.ts';
import { createOpenAiChunkConverter } from './openai-chunks-to-parts.ts';

type Chunk = Parameters<ReturnType<typeof createOpenAiChunkConverter>['add']>[0];

/**
 * Reads a streaming Chat Completions response body into parts. It does what the SDK's own stream
 * does (events up to `[DONE]`, an `error` in the data thrown as an APIError) at the cost of one
 * promise per network read: the body's `data` events feed the parser and converter synchronously,
 * the parts wait in a queue, and `next()` hands out a queued part at once or waits for the next read.
 * No async generator and no stream async iterator sit between the socket and the parts: those cost
 * several promises per token, more CPU than all of Sluice's own work per token.
 *
 * When a read arrives while parts of the one before still wait unasked for, the body is paused until
 * the consumer has taken them all, which leaves the bytes in the socket and so pushes back on the
 * upstream (pausing on every read would cost a fast consumer a pause and a resume per read). `return()` before the end destroys the body (closing the
 * connection); after `[DONE]` the rest of the body is left to drain, so the HTTP client keeps the
 * connection for the next request. One `next()` at a time, as `for await` and `startOnFirstPart` ask.
 */
export function readOpenAiEventStream(response: Response): AsyncIterableIterator<StreamPart> {
  return new OpenAiEventReader(response);
}

const ignore = () => {};

/** What Node's own stream readers throw for a stream closed before it ended. */
const prematureClose = () =>
  Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });

/** What `next()` resolves with once the reader has nothing more. */
const done = (): IteratorReturnResult<undefined> => ({ done: true, value: undefined });

class OpenAiEventReader implements AsyncIterableIterator<StreamPart> {
  readonly #response: Response;
  readonly #converter = createOpenAiChunkConverter();
  readonly #parser = createParser({ onEvent: (event) => this.#onEvent(event) });
  /** Parts converted but not yet handed out; `#head` is the next one. */
  #parts: StreamPart[] = [];
  #head = 0;
  #body: Readable | undefined;
  /** `[DONE]` came, or the body ended: nothing more will be queued. */
  #ended = false;
  /** Set when the stream failed: thrown once the parts queued before it are handed out. */
  #failure: { error: unknown } | undefined;
  /** The one `next()` waiting for a network read. */
  #waiting: PromiseWithResolvers<IteratorResult<StreamPart>> | undefined;

  constructor(response: Response) {
    this.#response = response;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<StreamPart>> {
    if (this.#waiting) return this.#waiting.promise.then(() => this.next());
    if (this.#head < this.#parts.length) return Promise.resolve(this.#take());
    if (this.#failure) {
      const { error } = this.#failure;
      this.#failure = undefined;
      this.#ended = true;
      return Promise.reject(error);
    }
    if (this.#ended) return Promise.resolve(done());
    if (this.#body === undefined) {
      // Nothing is read before the first `next()`.
      const started = this.#start();
      if (started) return started;
    } else if (this.#body.isPaused()) {
      this.#body.resume();
    }
    this.#waiting = Promise.withResolvers();
    return this.#waiting.promise;
  }

  return(): Promise<IteratorResult<StreamPart>> {
    // Leaving early (a cancel, an error) closes the connection; after the end there is nothing to close.
    if (!this.#ended) {
      const body = this.#stop() ?? this.#response.body;
      if (body instanceof Readable) body.destroy();
      else void body?.cancel();
    }
    this.#ended = true;
    this.#failure = undefined;
    this.#parts.length = this.#head = 0;
    this.#settle();
    return Promise.resolve(done());
  }

  /** Starts reading the body; a rejection when there is none. */
  #start(): Promise<never> | undefined {
    const body = this.#response.body as Readable | ReadableStream<Uint8Array> | null;
    if (!body) {
      this.#ended = true;
      return Promise.reject(new SyntaxError('Error reading response: no body'));
    }
    // A Node stream from Sluice's own fetch (providers/shared/fetch-over-undici-request.ts); a web
    // stream from any other fetch is read through a Node stream too.
    this.#body = body instanceof Readable ? body : Readable.fromWeb(body as WebReadableStream<Uint8Array>);
    // A body that failed before the first `next()` emits nothing more.
    if (this.#body.destroyed) {
      this.#ended = true;
      return Promise.reject(this.#body.errored ?? prematureClose());
    }
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
    const behind = this.#head < this.#parts.length;
    this.#parser.feed(text);
    if (this.#failure) this.#stop()?.destroy();
    else if (this.#ended) this.#stop()?.resume();
    this.#settle();
    // Until the consumer catches up the body stays paused, and the socket keeps the rest.
    if (behind && !this.#ended && !this.#failure) this.#body?.pause();
  };

  readonly #onEnd = (): void => {
    this.#stop();
    this.#finish();
    this.#settle();
  };

  readonly #onError = (error: unknown): void => {
    this.#stop();
    this.#failure ??= { error };
    this.#settle();
  };

  /** A body closed without `end` or `error` was cut short. */
  readonly #onClose = (): void => {
    this.#onError(prematureClose());
  };

  #onEvent(event: EventSourceMessage): void {
    if (this.#ended || this.#failure) return;
    if (event.data === '[DONE]') {
      this.#finish();
      return;
    }
    let data: { error?: unknown } & Record<string, unknown>;
    try {
      data = JSON.parse(event.data);
    } catch {
      this.#failure = { error: new SyntaxError('Error reading response: malformed server-sent event JSON.') };
      return;
    }
    if (event.event === 'error' || data?.error) {
      const error = (data?.error ?? data) as object;
      this.#failure = { error: new APIError(undefined, error, undefined, this.#response.headers) };
      return;
    }
    this.#converter.add(data as unknown as Chunk, this.#parts);
  }

  /** Nothing more comes: the held `finish` part, if a finish reason came, is the last one. */
  #finish(): void {
    this.#ended = true;
    const finish = this.#converter.finish();
    if (finish) this.#parts.push(finish);
  }

  #take(): IteratorResult<StreamPart> {
    const part = this.#parts[this.#head++]!;
    if (this.#head === this.#parts.length) this.#parts.length = this.#head = 0;
    return { done: false, value: part };
  }

  /** Answers the waiting `next()`, if there is one and something to answer with. */
  #settle(): void {
    const waiting = this.#waiting;
    if (!waiting) return;
    if (this.#head < this.#parts.length) {
      this.#waiting = undefined;
      waiting.resolve(this.#take());
    } else if (this.#failure || this.#ended) {
      this.#waiting = undefined;
      waiting.resolve(this.next());
    }
  }
}
