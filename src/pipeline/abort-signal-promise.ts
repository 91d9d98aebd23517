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

/**
 * Races each read of a stream against the signals, without the cost of `Promise.race` against one
 * long-lived promise: that adds a reaction to it per read, kept until the request ends (about 400
 * bytes per token). Here the listeners are registered once, and each read gets a fresh promise that
 * is dropped with it.
 */
export function createAbortRace(signals: readonly AbortSignal[]) {
  let wake: ((value: typeof aborted) => void) | undefined;
  const onAbort = () => wake?.(aborted);
  for (const signal of signals) signal.addEventListener('abort', onAbort, { once: true });
  return {
    /** Resolves with the read's result, or with `aborted` as soon as any signal aborts. */
    read<T>(next: Promise<T>): Promise<T | typeof aborted> {
      if (signals.some((signal) => signal.aborted)) return Promise.resolve(aborted);
      return new Promise<T | typeof aborted>((resolve, reject) => {
        wake = resolve;
        next.then(resolve, reject);
      });
    },
    /** Removes the listeners once the request is done reading. */
    dispose(): void {
      wake = undefined;
      for (const signal of signals) signal.removeEventListener('abort', onAbort);
    },
  };
}

/** Per signal, what `abortWhen` runs when it aborts. */
const followersOf = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Aborts `controller` with the signal's reason when `signal` aborts (at once if it has); returns the
 * unlink. A signal gets one listener however many controllers follow it: the server's stop signal
 * is followed by every request in flight, and an EventTarget walks its whole listener list on each
 * add and remove.
 */
export function abortWhen(signal: AbortSignal, controller: AbortController): () => void {
  const follow = () => controller.abort(signal.reason);
  if (signal.aborted) {
    follow();
    return () => {};
  }
  let followers = followersOf.get(signal);
  if (!followers) {
    const created = new Set<() => void>();
    followers = created;
    followersOf.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        followersOf.delete(signal);
        for (const each of created) each();
      },
      { once: true },
    );
  }
  followers.add(follow);
  const linked = followers;
  return () => linked.delete(follow);
}
