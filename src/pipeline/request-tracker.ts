import type { RequestObserver } from '../spec/request-observer.ts';

/** Counts requests in flight, so a shutdown can wait until every one has ended and been recorded. */
export function createRequestTracker() {
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];
  const observer: RequestObserver = {
    requestStarted() {
      inFlight++;
    },
    requestEnded() {
      inFlight--;
      if (inFlight === 0) {
        for (const wake of idleWaiters) wake();
        idleWaiters = [];
      }
    },
  };
  return {
    observer,
    inFlight: () => inFlight,
    /** Resolves once no request is in flight (at once if none is). */
    whenIdle(): Promise<void> {
      return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
