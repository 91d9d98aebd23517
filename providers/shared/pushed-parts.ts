/** Where pushed parts come from: a body or a socket whose events push parts synchronously. */
export interface PartSource {
  /**
   * The first `next()`: starts pushing (what it pushes, and settles, before it returns answers that
   * `next()`); a rejection to hand out instead when it cannot.
   */
  start(): Promise<never> | undefined;
  /** A `next()` waits with nothing queued: a paused source goes on, and may push before it returns. */
  resume(): void;
  /** The consumer left before the end: the source closes. */
  cancel(): void;
}

/** What one kind of upstream makes of its events (a server-sent event, a socket message) as parts. */
export interface PartHandler<E, T> {
  /**
   * Queues on `parts` what one event carries, and says whether it ends the stream. Throwing fails
   * the stream: the parts queued before are handed out first, then the error is thrown.
   */
  event(event: E, parts: T[]): boolean;
  /** Queues the last parts, if any, once nothing more comes: after an ending event or at the source's end. */
  end(parts: T[]): void;
}

/** What `next()` resolves with once there is nothing more. */
const done = (): IteratorReturnResult<undefined> => ({ done: true, value: undefined });

/**
 * An async iterator over parts a source pushes synchronously from its own events (a network read, a
 * socket message), at the cost of one promise per event rather than the several per part of an async
 * generator or a stream's async iterator: queued parts are handed out at once, and the one waiting
 * `next()` is answered when the source settles. The source appends to `parts`, then calls `end()` or
 * `fail()` when nothing more comes, then `settle()`; a failure is thrown once the parts queued before it
 * are handed out. One `next()` at a time, as `for await` and `startOnFirstPart` ask.
 */
export class PushedParts<T> implements AsyncIterableIterator<T> {
  /** Parts pushed but not yet handed out, from `#head` on. */
  readonly parts: T[] = [];
  readonly #source: PartSource;
  #head = 0;
  #started = false;
  /** Nothing more will be pushed (the end came, or the failure was handed out, or the consumer left). */
  #ended = false;
  #failure: { error: unknown } | undefined;
  /** The one `next()` waiting for the source. */
  #waiting: PromiseWithResolvers<IteratorResult<T>> | undefined;

  constructor(source: PartSource) {
    this.#source = source;
  }

  /** How many pushed parts wait unasked for. */
  get unasked(): number {
    return this.parts.length - this.#head;
  }

  get ended(): boolean {
    return this.#ended;
  }

  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Nothing more comes; the parts pushed so far are handed out first. */
  end(): void {
    this.#ended = true;
  }

  /** The stream failed: `error` is thrown after the parts pushed so far (only the first failure counts). */
  fail(error: unknown): void {
    this.#failure ??= { error };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#waiting) return this.#waiting.promise.then(() => this.next());
    if (this.#head < this.parts.length) return Promise.resolve(this.#take());
    if (this.#failure) {
      const { error } = this.#failure;
      this.#failure = undefined;
      this.#ended = true;
      return Promise.reject(error);
    }
    if (this.#ended) return Promise.resolve(done());
    // Waiting before the source is asked: it may push, and settle this next(), before it returns.
    const waiting = Promise.withResolvers<IteratorResult<T>>();
    this.#waiting = waiting;
    if (!this.#started) {
      this.#started = true;
      const refused = this.#source.start();
      if (refused) {
        this.#waiting = undefined;
        this.#ended = true;
        return refused;
      }
    } else {
      this.#source.resume();
    }
    return waiting.promise;
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.#ended) this.#source.cancel();
    this.#ended = true;
    this.#failure = undefined;
    this.parts.length = this.#head = 0;
    this.settle();
    return Promise.resolve(done());
  }

  /** Answers the waiting `next()`, if there is one and something to answer with. */
  settle(): void {
    const waiting = this.#waiting;
    if (!waiting) return;
    if (this.#head < this.parts.length) {
      this.#waiting = undefined;
      waiting.resolve(this.#take());
    } else if (this.#failure || this.#ended) {
      this.#waiting = undefined;
      waiting.resolve(this.next());
    }
  }

  #take(): IteratorResult<T> {
    const part = this.parts[this.#head++]!;
    if (this.#head === this.parts.length) this.parts.length = this.#head = 0;
    return { done: false, value: part };
  }
}
