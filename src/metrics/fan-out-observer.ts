import type { RequestObserver } from '../spec/request-observer.ts';

/** One observer that tells each of `observers`, in order, of every request start and end. */
export function fanOutObserver(observers: RequestObserver[]): RequestObserver {
  return {
    requestStarted(model) {
      for (const observer of observers) observer.requestStarted(model);
    },
    requestEnded(summary) {
      for (const observer of observers) observer.requestEnded(summary);
    },
  };
}
