/** The reason a task run by {@link runWithTimeout} was given up on. */
export class TimeoutError extends Error {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

export interface RunWithTimeoutOptions {
  timeoutMs: number;
  /** Stops waiting, with this signal's reason, when it aborts first. */
  signal?: AbortSignal;
}

/** Rejects with the signal's reason once it aborts; never resolves. */
function rejectWhenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * Runs a task that may never settle, waiting at most `timeoutMs` for it (then rejecting with a
 * {@link TimeoutError}). The task gets a signal that aborts when its time is up or `signal` aborts, so
 * it can stop its own work; a throw, synchronous or not, becomes a rejection.
 */
export async function runWithTimeout<T>(
  task: (signal: AbortSignal) => T | Promise<T>,
  { timeoutMs, signal }: RunWithTimeoutOptions,
): Promise<T> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new TimeoutError(timeoutMs)), timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
  try {
    return await Promise.race([Promise.resolve().then(() => task(combined)), rejectWhenAborted(combined)]);
  } finally {
    clearTimeout(timer);
  }
}
