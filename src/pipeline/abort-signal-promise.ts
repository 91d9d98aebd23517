/** The value an abort promise resolves with, to tell it apart from a stream's own results. */
export const aborted = Symbol('aborted');

/** Resolves with `aborted` when the signal aborts (at once if it already has); never rejects. */
export function whenAborted(signal: AbortSignal): Promise<typeof aborted> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(aborted);
    else signal.addEventListener('abort', () => resolve(aborted), { once: true });
  });
}

/** Swallows a promise's rejection: for a read that was abandoned because the request ended. */
export function ignoreRejection(promise: Promise<unknown>): void {
  promise.catch(() => {});
}
