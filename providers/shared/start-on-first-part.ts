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

async function* continueAfter(
  first: StreamPart,
  iterator: AsyncIterator<StreamPart>,
  signal: AbortSignal,
): AsyncGenerator<StreamPart> {
  try {
    let part: StreamPart = first;
    for (;;) {
      yield part;
      if (part.type === 'finish' || part.type === 'error') {
        return;
      }
      let next: IteratorResult<StreamPart>;
      try {
        next = await iterator.next();
      } catch (error) {
        if (signal.aborted) return;
        yield { type: 'error', error: classifyUpstreamError(error) };
        return;
      }
      if (next.done) {
        if (signal.aborted) return;
        yield {
          type: 'error',
          error: new GatewayError('upstream_error', 'upstream stream ended before it finished'),
        };
        return;
      }
      part = next.value;
    }
  } finally {
    // Closes the upstream when the consumer leaves early; harmless once it has ended.
    await iterator.return?.();
  }
}
