import type { OutputPart, StreamPart } from '../spec/stream-part.ts';
import type { Usage } from '../spec/usage.ts';
import { ignoreRejection } from './abort-signal-promise.ts';

/**
 * Reads the rest of an upstream stream silently, for `on_cancel: drain`: the client has gone, but the
 * provider's reported usage (sent at the end) makes billing exact. Gives up after `timeoutMs` or on
 * an error, aborting the upstream; resolves with the reported usage, if any. Output read on the way
 * goes to `onOutput`, so usage can still be counted when none is reported.
 */
export async function drainUpstream(
  pending: Promise<IteratorResult<StreamPart>>,
  iterator: AsyncIterator<StreamPart>,
  upstream: AbortController,
  timeoutMs: number,
  onOutput: (part: OutputPart) => void,
): Promise<Usage | undefined> {
  const timer = setTimeout(() => upstream.abort('drain timed out'), timeoutMs);
  try {
    let next = pending;
    for (;;) {
      const result = await next;
      if (result.done) return undefined;
      const part = result.value;
      if (part.type === 'finish') return part.usage;
      if (part.type === 'error') return part.usage;
      onOutput(part);
      next = iterator.next();
    }
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    upstream.abort('drained');
    ignoreRejection(Promise.resolve(iterator.return?.()));
  }
}
