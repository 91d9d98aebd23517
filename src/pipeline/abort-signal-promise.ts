/** Swallows a promise's rejection: for a read that was abandoned because the request ended. */
export function ignoreRejection(promise: Promise<unknown>): void {
  promise.catch(() => {});
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
