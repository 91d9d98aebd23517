import { setTimeout as sleep } from 'node:timers/promises';
import { CircuitState, ConsecutiveBreaker, circuitBreaker, ExponentialBackoff, handleWhen } from 'cockatiel';
import { GatewayError, isGatewayError } from '../errors/gateway-error.ts';

/** How hard to retry one target, and when to stop sending it requests for a while. */
export interface TargetResilienceOptions {
  /** The target's name, for people reading the errors. */
  name: string;
  /** Tries per request on this target, the first one included. */
  attempts: number;
  /** The first backoff delay; later ones grow exponentially, with jitter. */
  baseDelayMs: number;
  /** The longest wait between tries; an upstream asking for longer (Retry-After) is not retried here. */
  maxDelayMs: number;
  /** Consecutive failed tries that open the circuit. */
  breakerThreshold: number;
  /** How long an open circuit refuses requests before it lets one probe through. */
  halfOpenAfterMs: number;
}

/** Retries and a circuit breaker around the tries of one target. */
export interface TargetResilience {
  /** Whether the circuit refuses requests right now, so a router can skip the target without trying it. */
  isOpen(): boolean;
  /**
   * Runs `attempt` with retries and resolves with its first success. Rejects with the last error,
   * with `unavailable` (retryable) while the circuit is open, or with the signal's reason.
   */
  run<T>(attempt: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T>;
}

/** A failure that says something about the target's health; a bad request or a cancel does not. */
const isTargetFailure = (error: unknown) => isGatewayError(error) && error.retryable;

/**
 * Builds the resilience of one target with cockatiel: a consecutive-failure circuit breaker, and
 * jittered exponential backoff between tries. The retry loop is our own because cockatiel's retry
 * policy sleeps through an aborted signal, and a cancelled request must stop waiting at once.
 */
export function createTargetResilience(options: TargetResilienceOptions): TargetResilience {
  const { name, attempts, baseDelayMs, maxDelayMs, breakerThreshold, halfOpenAfterMs } = options;
  const breaker = circuitBreaker(handleWhen(isTargetFailure), {
    breaker: new ConsecutiveBreaker(breakerThreshold),
    halfOpenAfter: halfOpenAfterMs,
  });
  const backoff = new ExponentialBackoff({ initialDelay: baseDelayMs, maxDelay: maxDelayMs });
  let openedAt = 0;
  breaker.onBreak(() => {
    openedAt = Date.now();
  });

  const isOpen = () => {
    switch (breaker.state) {
      case CircuitState.Closed:
        return false;
      case CircuitState.Open:
        // Once the cool-down has passed, the next try is the half-open probe.
        return Date.now() - openedAt < halfOpenAfterMs;
      default:
        // Half-open with its probe in flight: cockatiel would make other tries wait for the probe.
        return true;
    }
  };

  const circuitOpen = () =>
    new GatewayError('unavailable', `circuit open for target "${name}"`, {
      retryable: true,
      retryAfterMs: Math.max(0, openedAt + halfOpenAfterMs - Date.now()),
    });

  /** The wait before the next try, or undefined when this error should not be retried here. */
  const retryDelay = (error: unknown, backoffMs: number): number | undefined => {
    if (!isGatewayError(error) || !error.retryable || isOpen()) return undefined;
    const retryAfterMs = error.retryAfterMs ?? 0;
    // Another target serves the request sooner than an upstream that asks for a long pause.
    if (retryAfterMs > maxDelayMs) return undefined;
    return Math.max(backoffMs, retryAfterMs);
  };

  const tryOnce = <T>(attempt: (signal: AbortSignal) => Promise<T>, signal: AbortSignal) => {
    if (isOpen()) return Promise.reject(circuitOpen());
    return breaker.execute(async () => {
      try {
        return await attempt(signal);
      } catch (error) {
        // A try that failed because the request was cancelled says nothing about the target.
        throw signal.aborted ? signal.reason : error;
      }
    });
  };

  return {
    isOpen,
    async run(attempt, signal) {
      let delays = backoff.next();
      for (let tried = 1; ; tried += 1) {
        signal.throwIfAborted();
        try {
          return await tryOnce(attempt, signal);
        } catch (error) {
          const delayMs = tried < attempts ? retryDelay(error, delays.duration) : undefined;
          if (delayMs === undefined || signal.aborted) throw error;
          await sleep(delayMs, undefined, { signal }).catch(() => {
            throw signal.reason;
          });
          delays = delays.next(undefined);
        }
      }
    },
  };
}
