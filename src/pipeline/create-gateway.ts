import type { Identity } from '../auth/identity.ts';
import type { Config } from '../config/schema.ts';
import { createQuotaGuard } from '../quota/create-quota-guard.ts';
import { createRateLimiters } from '../quota/create-rate-limiters.ts';
import { createRouter } from '../routing/resolve-route.ts';
import type { ChatRequest } from '../spec/chat-request.ts';
import type { UsageStore } from '../store/usage-store.ts';
import { createProviders } from './create-providers.ts';
import type { GatewayEvent } from './gateway-event.ts';
import type { RequestObserver } from './request-observer.ts';
import { type ChatContext, runChat } from './run-chat.ts';

/** How long `on_cancel: drain` reads on after the client left, at most. */
const drainTimeoutMs = 120_000;

/** The one pipeline both doors run requests through. */
export interface Gateway {
  runChat(request: ChatRequest, context: ChatContext): AsyncGenerator<GatewayEvent>;
  /** The model names a user may ask for. */
  modelNames(identity: Identity): string[];
  /** The user's plan limits and what is left of them. */
  limitsOf(identity: Identity): Promise<Record<string, unknown>>;
  store: UsageStore;
}

/** Wires config into a gateway: adapters per provider, a router over the model routes, the quota step. */
export function createGateway(config: Config, store: UsageStore, observer: RequestObserver): Gateway {
  const router = createRouter(config, createProviders(config));
  const quota = createQuotaGuard(store, createRateLimiters(), () => ({
    plans: config.plans,
    pricing: config.pricing,
    settings: config.quota,
  }));
  const steps = { router, quota, drainTimeoutMs, observer };
  return {
    store,
    runChat: (request, context) => runChat(request, context, steps),
    modelNames(identity) {
      const allowed = config.plans[identity.plan]?.models;
      return allowed ? router.modelNames().filter((name) => allowed.includes(name)) : router.modelNames();
    },
    limitsOf: (identity) => quota.limitsOf(identity),
  };
}
