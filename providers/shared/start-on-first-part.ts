import { GatewayError } from '../../src/errors/gateway-error.ts';
import type { StreamPart } from '../../src/spec/stream-part.ts';
import { classifyUpstreamError } from './classify-upstream-error.ts';

/**
 * Gives an adapter the contract of `ProviderAdapter.stream` from a plain async iterable of parts
 * that may throw:
 * - a failure before the first output part rejects (so the router may try another target);
 * - a failure after output has begun becomes one `error` part;
 * - a stream that just stops without `finish` ends with an `upstream_error` part;
 * - nothing is pulled from upstream before the consumer asks for it.
 * When `signal` is aborted the stream simply ends: the pipeline reports the cancellation.
 */
export async function startOnFirstPart(
  parts: AsyncIterable<StreamPart>,
  signal: AbortSignal,
): Promise<AsyncIterable<StreamPart>> {
  const iterator = parts[Symbol.asyncIterator]();
  let first: IteratorResult<StreamPart>;
  try {
    first = await iterator.next();
  } catch (error) {
    throw classifyUpstreamError(error);
  }
  if (first.done) {
    throw new GatewayError('upstream_error', 'upstream stream ended before any output', { retryable: true });
  }
  if (first.value.type === 'error') {
    void iterator.return?.();
    throw first.value.error;
  }
  return continueAfter(first.value, iterator, signal);
}

/**
 * The parts from `first` on, as a plain iterator around `iterator.next()`: no async generator, so a
 * part costs the inner iterator's promise and one `then`, not a generator's several promises.
 * After a `finish` or `error` part (or when the consumer leaves) the inner iterator is closed, which
 * closes the upstream when it had not ended.
 */
function continueAfter(
  first: StreamPart,
  iterator: AsyncIterator<StreamPart>,
  signal: AbortSignal,
): AsyncIterableIterator<StreamPart> {
  let held: StreamPart | undefined = first;
  /** A `finish` or `error` part went out, or the consumer left: nothing more is read. */
  let over = false;
  let closing: Promise<IteratorResult<StreamPart>> | undefined;
  const close = (): Promise<IteratorResult<StreamPart>> => {
    over = true;
    closing ??= Promise.resolve(iterator.return?.()).then(() => ({ done: true, value: undefined }));
    return closing;
  };
  const handOut = (part: StreamPart): IteratorResult<StreamPart> => {
    if (part.type === 'finish' || part.type === 'error') over = true;
    return { done: false, value: part };
  };
  const failed = (error: GatewayError) => handOut({ type: 'error', error });
  // A read that settles after the consumer left (a `return()` while it was pending) ends the stream.
  const onRead = (read: IteratorResult<StreamPart>) => {
    if (over) return close();
    if (!read.done) return handOut(read.value);
    if (signal.aborted) return close();
    return failed(new GatewayError('upstream_error', 'upstream stream ended before it finished'));
  };
  const onFailure = (error: unknown) =>
    over || signal.aborted ? close() : failed(classifyUpstreamError(error));
  const parts: AsyncIterableIterator<StreamPart> = {
    [Symbol.asyncIterator]: () => parts,
    next() {
      if (held !== undefined) {
        const part = held;
        held = undefined;
        return Promise.resolve(handOut(part));
      }
      if (over) return close();
      return iterator.next().then(onRead, onFailure);
    },
    return() {
      held = undefined;
      return close();
    },
  };
  return parts;
}
