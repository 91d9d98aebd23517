import type { Logger } from 'pino';
import { GatewayError, isGatewayError, toGatewayError } from '../errors/gateway-error.ts';
import type { ProviderRequest } from '../spec/chat-request.ts';
import type { StreamPart } from '../spec/stream-part.ts';
import type { ResolvedRoute, RoutedTarget } from './resolve-route.ts';

/** An upstream that has begun to answer, and the target that answered. */
export interface OpenedUpstream {
  stream: AsyncIterable<StreamPart>;
  target: RoutedTarget;
  /** Gives back the target's slot and in-flight count; call once the request has ended. Idempotent. */
  release(): void;
}

export interface OpenUpstreamOptions {
  route: ResolvedRoute;
  user: string;
  /** The request as one target would receive it. */
  requestFor(target: RoutedTarget): ProviderRequest;
  /** The request's upstream signal: aborting it abandons every try. */
  signal: AbortSignal;
  log: Logger;
  requestId: string;
  /** The `traceparent` for a call to one target (opening its upstream span), when tracing. */
  traceparentFor(target: RoutedTarget): string | undefined;
  /** Told of each target as it is tried, so a failure can name the last one. */
  onTry(target: RoutedTarget): void;
}

/**
 * One try on one target: the adapter's `stream`, which resolves once the first output has arrived,
 * bounded by the route's time to first token. The try's own signal follows the request's, so a
 * cancel later in the stream still reaches the upstream.
 */
async function tryTarget(
  target: RoutedTarget,
  options: OpenUpstreamOptions,
  attemptSignal: AbortSignal,
): Promise<AsyncIterable<StreamPart>> {
  const { route, log, requestId } = options;
  const controller = new AbortController();
  const follow = () => controller.abort(attemptSignal.reason);
  if (attemptSignal.aborted) follow();
  else attemptSignal.addEventListener('abort', follow, { once: true });
  const firstTokenMs = route.timeouts.first_token_ms;
  const timer = setTimeout(() => {
    const message = `no output from ${target.state.key} within ${firstTokenMs} ms`;
    controller.abort(new GatewayError('upstream_timeout', message, { retryable: true }));
  }, firstTokenMs);
  try {
    return await target.adapter.stream(options.requestFor(target), {
      signal: controller.signal,
      log,
      requestId,
      traceparent: options.traceparentFor(target),
      connectTimeoutMs: route.timeouts.connect_ms,
    });
  } catch (error) {
    // Our own timeout aborted the call: report the timeout, not the abort it caused.
    if (controller.signal.aborted && isGatewayError(controller.signal.reason)) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens the route's upstream: tries its targets in the strategy's order, skipping open circuits,
 * waiting for a slot where a target limits its concurrency, retrying retryable failures on a target
 * before failing over to the next. Only failures before the first output come here; once output has
 * begun the request belongs to that target. Rejects with the last error for a single target, or with
 * `unavailable` when every target of the route is down.
 */
export async function openUpstream(options: OpenUpstreamOptions): Promise<OpenedUpstream> {
  const { route, user, signal, log } = options;
  let lastError: GatewayError | undefined;
  let tried = 0;
  for (const target of route.selector.order((key) => route.inFlightOf(key))) {
    const { state } = target;
    if (state.resilience.isOpen()) {
      lastError = new GatewayError('unavailable', `circuit open for target "${state.key}"`, {
        retryable: true,
      });
      continue;
    }
    let releaseSlot = () => {};
    if (state.queue) {
      try {
        releaseSlot = await state.queue.acquire(user, signal);
      } catch (error) {
        if (signal.aborted) throw error;
        lastError = toGatewayError(error);
        continue;
      }
    }
    state.inFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      state.inFlight--;
      releaseSlot();
    };
    try {
      tried++;
      options.onTry(target);
      const stream = await state.resilience.run(
        (attemptSignal) => tryTarget(target, options, attemptSignal),
        signal,
      );
      return { stream, target, release };
    } catch (error) {
      release();
      if (signal.aborted) throw error;
      const failure = toGatewayError(error);
      if (!failure.retryable) throw failure;
      log.warn(
        { target: state.key, code: failure.code, reason: failure.message },
        'target failed before output',
      );
      lastError = failure;
    }
  }
  if (route.targets.length === 1 && tried === 1 && lastError) throw lastError;
  const detail = lastError ? `: ${lastError.message}` : '';
  throw new GatewayError('unavailable', `every target of model "${route.name}" is unavailable${detail}`, {
    retryAfterMs: lastError?.retryAfterMs,
  });
}
