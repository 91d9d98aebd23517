import { createFairQueue, type FairQueue } from './create-fair-queue.ts';
import { createTargetResilience, type TargetResilience } from './create-target-resilience.ts';
import type { ModelRoute, Target } from './route-schema.ts';

/** The live state of one upstream target: its breaker, its slot queue, its streams in flight. */
export interface TargetState {
  key: string;
  resilience: TargetResilience;
  /** Present when the target declares `max_concurrency`. */
  queue: FairQueue | undefined;
  inFlight: number;
}

/** Identifies a target across routes and reloads: the same backend shares one state. */
export function targetKey(target: Pick<Target, 'provider' | 'model'>): string {
  return `${target.provider}/${target.model}`;
}

/**
 * Keeps each target's state for the life of the process, so a config reload does not forget an open
 * circuit or let a limited backend take more streams than it serves. A changed setting (limit,
 * retry or breaker) starts that target afresh.
 */
export function createTargetRegistry() {
  const states = new Map<string, { settings: string; state: TargetState }>();
  return {
    stateOf(target: Target, route: Pick<ModelRoute, 'retry' | 'breaker'>): TargetState {
      const key = targetKey(target);
      const settings = JSON.stringify([
        target.max_concurrency,
        target.max_queue_length,
        target.max_queue_wait_ms,
        route.retry,
        route.breaker,
      ]);
      const known = states.get(key);
      if (known && known.settings === settings) return known.state;
      const state: TargetState = {
        key,
        inFlight: known?.state.inFlight ?? 0,
        resilience: createTargetResilience({
          name: key,
          attempts: route.retry.attempts,
          baseDelayMs: route.retry.base_delay_ms,
          maxDelayMs: route.retry.max_delay_ms,
          breakerThreshold: route.breaker.threshold,
          halfOpenAfterMs: route.breaker.half_open_after_ms,
        }),
        queue:
          target.max_concurrency === undefined
            ? undefined
            : createFairQueue({
                name: key,
                maxConcurrency: target.max_concurrency,
                maxQueueLength: target.max_queue_length,
                maxWaitMs: target.max_queue_wait_ms,
              }),
      };
      states.set(key, { settings, state });
      return state;
    },
  };
}

export type TargetRegistry = ReturnType<typeof createTargetRegistry>;
