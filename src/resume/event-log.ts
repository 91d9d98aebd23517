import { GatewayError } from '../errors/gateway-error.ts';

/** One encoded server frame of a request, as it went out on the wire, with its place in the request. */
export interface LoggedEvent {
  /**
   * The frame's number in its request: 0, 1, 2, ... with no holes. The `start` frame is 0, every frame
   * that carries a wire `seq` (`delta`, `done`) has that number, and an `error` frame the next one.
   */
  seq: number;
  /** The frame's JSON text, sent again as it is on a resume. */
  frame: string;
}

/** How a log ends. */
export interface EndOptions {
  /** Forget the log for new readers (and new claims) at once, instead of after the retention time. */
  forget?: boolean;
}

/** What a reader may pass to `read`. */
export interface ReadOptions {
  /** Ends the iteration (without an error) as soon as it aborts, also while waiting for live events. */
  signal?: AbortSignal;
}

/**
 * The frames each request sent, kept so that a client that lost its connection can `resume` it (on
 * this instance or, with Redis, on another). The writer opens a log, appends every frame and ends it
 * when the request ended; the log is then kept `retentionMs` longer. Each log keeps its last
 * `maxEvents` events only: a reader who needs an older one gets `not_found`, never a gap.
 *
 * `requestId` names the log across connections, so the caller makes it unique per user (the user and
 * the client's `id` together); opening an existing id again starts a fresh log.
 */
export interface EventLog {
  /** Starts an empty log for a request that `owner` (a user name) made. */
  open(requestId: string, owner: string): Promise<void>;
  /**
   * Starts an empty log only if none is kept under this id (one ended with `forget`, or expired, is
   * not): the first of several writers racing for an id wins, on any instance. Resolves to whether
   * this caller won.
   */
  claim(requestId: string, owner: string): Promise<boolean>;
  /** Adds the request's next frame; rejects with `not_found` when the log is unknown or expired. */
  append(requestId: string, event: LoggedEvent): Promise<void>;
  /**
   * Keeps an open log from expiring while its writer has nothing to write (a silent upstream);
   * rejects with `not_found` when the log is unknown or expired.
   */
  touch(requestId: string): Promise<void>;
  /**
   * Marks the request finished: readers stop after its last frame, and the retention time starts.
   * With `forget`, new readers get `not_found` at once and the id can be claimed again; readers
   * already reading still get every frame to the end.
   */
  end(requestId: string, options?: EndOptions): Promise<void>;
  /**
   * Every kept event after `afterSeq`, in order, then the live ones as they are appended, until the
   * log ends. It rejects with `not_found` (see `isEventLogNotFound`) when the log is unknown or
   * expired, or when an event the reader needs was dropped to keep the log within `maxEvents`.
   */
  read(requestId: string, afterSeq: number, options?: ReadOptions): AsyncIterable<LoggedEvent>;
  /** The user who made the request, or undefined when the log is unknown or expired. */
  owner(requestId: string): Promise<string | undefined>;
  /** Drops what the log holds in this process (timers, connections); Redis data stays. */
  close(): Promise<void>;
}

/** The error for a log that is unknown or expired. */
export function eventLogNotFound(requestId: string): GatewayError {
  return new GatewayError('not_found', `No resumable request ${JSON.stringify(requestId)}`);
}

/** The error for a reader whose next event was already dropped to keep the log within its bound. */
export function eventLogGap(requestId: string, afterSeq: number): GatewayError {
  return new GatewayError(
    'not_found',
    `The events of request ${JSON.stringify(requestId)} after seq ${afterSeq} are no longer kept`,
  );
}

/** Whether an error from an `EventLog` means the events asked for do not exist (any more). */
export function isEventLogNotFound(error: unknown): boolean {
  return error instanceof GatewayError && error.code === 'not_found';
}
