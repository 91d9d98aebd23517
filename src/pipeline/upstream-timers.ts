import { GatewayError } from '../errors/gateway-error.ts';

/** The route's limits that run while an upstream streams (the first-token wait is per target). */
export interface UpstreamTimeouts {
  idle_ms: number;
  total_ms: number;
}

/**
 * Watches a request's upstream for the route's idle and total timeouts and aborts it with
 * `upstream_timeout` when one passes. The total counts from this call, so it is made when the call
 * starts, before the upstream is opened, whatever then serves the parts. One timer per limit,
 * re-armed only when it fires early, so a stream of thousands of tokens costs no timer work per
 * token. `lastOutputAt` is the `performance.now()` of the latest output part (0 before the first:
 * the first-token wait has its own timeout, per target). Returns a function that stops watching.
 */
export function startUpstreamTimers(
  upstream: AbortController,
  timeouts: UpstreamTimeouts,
  lastOutputAt: () => number,
): () => void {
  const total = setTimeout(() => {
    upstream.abort(
      new GatewayError('upstream_timeout', `the request took longer than ${timeouts.total_ms} ms`),
    );
  }, timeouts.total_ms);
  let idle: NodeJS.Timeout | undefined;
  const checkIdle = () => {
    const last = lastOutputAt();
    const quietFor = last === 0 ? 0 : performance.now() - last;
    if (last !== 0 && quietFor >= timeouts.idle_ms) {
      upstream.abort(new GatewayError('upstream_timeout', `no output for ${timeouts.idle_ms} ms`));
      return;
    }
    idle = setTimeout(checkIdle, timeouts.idle_ms - quietFor);
  };
  idle = setTimeout(checkIdle, timeouts.idle_ms);
  const stop = () => {
    clearTimeout(total);
    clearTimeout(idle);
  };
  upstream.signal.addEventListener('abort', stop, { once: true });
  return stop;
}
