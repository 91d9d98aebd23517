const aborted = Symbol('aborted');
const ignore = () => {};

/**
 * Iterates `iterable` until `signal` aborts, and stops at once when it does, even if the source is
 * stuck waiting on a stalled upstream. The source is then closed in the background.
 */
export async function* untilAborted<T>(iterable: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  const abortion = new Promise<typeof aborted>((resolve) => {
    if (signal.aborted) resolve(aborted);
    else signal.addEventListener('abort', () => resolve(aborted), { once: true });
  });
  let finished = false;
  let pending: Promise<IteratorResult<T>> | undefined;
  try {
    for (;;) {
      pending = iterator.next();
      const result = await Promise.race([pending, abortion]);
      if (result === aborted) return;
      if (result.done) {
        finished = true;
        return;
      }
      yield result.value;
    }
  } finally {
    if (!finished) {
      // The abandoned next() settles once the aborted upstream notices; nobody waits for it.
      pending?.catch(ignore);
      iterator.return?.()?.catch(ignore);
    }
  }
}
