import type { Subscription } from '../cache/coalescing-hub.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { SourceItem } from '../spec/source-item.ts';
import type { OutputPart, StreamPart } from '../spec/stream-part.ts';
import type { Usage } from '../spec/usage.ts';
import { ignoreRejection } from './abort-signal-promise.ts';
import { drainUpstream } from './drain-upstream.ts';

/**
 * Where the relay stage reads a request's parts from, whatever serves them: read without waiting
 * while parts are ready, wait only when none is. A reader that keeps up pays one promise per part
 * (its `changed()`) and nothing more.
 */
export interface PartSource {
  /** The next part if one is ready; undefined when none is there yet, or when the source is `over`. */
  take(): StreamPart | undefined;
  /** Whether nothing more will come although no terminal part was read: the request was aborted. */
  over(): boolean;
  /** Resolves once `take` or `over` may answer otherwise. */
  changed(): Promise<void>;
  /** Stops reading before the end: returns the stream, or leaves the shared call. */
  stop(): void;
  /**
   * For `on_cancel: drain` once the request's client has gone: reads the rest silently (see
   * `drainUpstream`) and resolves with the usage the provider reported, if any. Only a stream of the
   * request's own can be drained.
   */
  drain?(timeoutMs: number, onOutput: (part: OutputPart) => void): Promise<Usage | undefined>;
  /** Lets go of what the source holds on to once the request has stopped reading it. */
  dispose(): void;
}

/** A shared call's subscription as a part source: the request leaves the call to abort. */
export function subscriptionSource(subscription: Subscription<SourceItem>): PartSource {
  return {
    // After the first item (`start`, read by the source stage) a shared call publishes only parts.
    take: subscription.take as () => StreamPart | undefined,
    over: subscription.over,
    changed: subscription.changed,
    stop: subscription.leave,
    // The request's abort leaves the call (see `openSource`): nothing else to let go of.
    dispose: () => {},
  };
}

/**
 * A stream of the request's own (its upstream call, or a cached reply) as a part source. One read is
 * in flight at a time and only when the relay asks, so nothing is read ahead of the client. An abort
 * of `signal` or `upstream` ends a pending wait at once (the source is then `over`), with listeners
 * registered once rather than a race per read. A stream that ends without a `finish` or `error` part
 * yields an `internal` error part; a read that throws throws from `take`.
 */
export function streamSource(
  stream: AsyncIterable<StreamPart>,
  signal: AbortSignal,
  upstream: AbortController,
): PartSource {
  const iterator = stream[Symbol.asyncIterator]();
  let reading: Promise<IteratorResult<StreamPart>> | undefined;
  let result: IteratorResult<StreamPart> | undefined;
  let failure: { error: unknown } | undefined;
  let changed: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  // Made once per request, so a read costs its promises and no closure.
  const park = (resolve: () => void) => {
    wake = resolve;
  };
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    changed = undefined;
    resolve?.();
  };
  const accept = (settled: IteratorResult<StreamPart>) => {
    reading = undefined;
    result = settled;
    notify();
  };
  const reject = (error: unknown) => {
    reading = undefined;
    failure = { error };
    notify();
  };
  const isAborted = () => signal.aborted || upstream.signal.aborted;
  signal.addEventListener('abort', notify, { once: true });
  upstream.signal.addEventListener('abort', notify, { once: true });
  const ready = () => result !== undefined || failure !== undefined || isAborted();

  return {
    take() {
      if (result) {
        const settled = result;
        result = undefined;
        if (!settled.done) return settled.value;
        return {
          type: 'error',
          error: new GatewayError('internal', 'provider stream ended without a result'),
        };
      }
      if (failure) throw failure.error;
      if (isAborted()) return undefined;
      if (!reading) {
        reading = iterator.next();
        reading.then(accept, reject);
      }
      return undefined;
    },
    over: () => result === undefined && failure === undefined && isAborted(),
    changed() {
      if (ready()) return Promise.resolve();
      changed ??= new Promise(park);
      return changed;
    },
    stop() {
      ignoreRejection(Promise.resolve(iterator.return?.()));
    },
    drain(timeoutMs, onOutput) {
      // The read the abort interrupted goes on: its part belongs to the drained rest.
      const pending = result ? Promise.resolve(result) : (reading ?? iterator.next());
      result = undefined;
      return drainUpstream(pending, iterator, upstream, timeoutMs, onOutput);
    },
    dispose() {
      wake = undefined;
      signal.removeEventListener('abort', notify);
      upstream.signal.removeEventListener('abort', notify);
    },
  };
}
