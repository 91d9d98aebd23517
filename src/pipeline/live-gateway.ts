import type { Gateway } from './create-gateway.ts';

/** A gateway whose config can be replaced while it runs. */
export interface LiveGateway extends Gateway {
  /** New requests go to `next`; requests in flight finish on the version they started with. */
  swap(next: Gateway): void;
}

/**
 * Wraps the current gateway so the doors need not know about reloads: every call goes to the
 * version current at that moment, and a request keeps the version it started on.
 */
export function createLiveGateway(initial: Gateway): LiveGateway {
  let current = initial;
  return {
    get config() {
      return current.config;
    },
    get store() {
      return current.store;
    },
    runChat: (request, context, emit) => current.runChat(request, context, emit),
    modelNames: (identity) => current.modelNames(identity),
    limitsOf: (identity) => current.limitsOf(identity),
    swap(next) {
      current = next;
    },
  };
}
