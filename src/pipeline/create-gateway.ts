import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Identity } from '../auth/identity.ts';
import type { CoalescingHub } from '../cache/coalescing-hub.ts';
import type { ResponseCache } from '../cache/response-cache.ts';
import type { SharedCalls } from '../cache/shared-calls.ts';
import type { Config } from '../config/schema.ts';
import { createHookRunner } from '../hooks/create-hook-runner.ts';
import { createPromptLibrary, type PromptLibrary } from '../prompts/create-prompt-library.ts';
import { loadPromptLibrary } from '../prompts/load-prompt-library.ts';
import { createQuotaGuard } from '../quota/create-quota-guard.ts';
import type { RateLimiters } from '../quota/create-rate-limiters.ts';
import { createRouter } from '../routing/resolve-route.ts';
import type { TargetRegistry } from '../routing/target-registry.ts';
import type { ChatRequest } from '../spec/chat-request.ts';
import type { ProviderKind } from '../spec/provider-kind.ts';
import type { RequestObserver } from '../spec/request-observer.ts';
import type { SourceItem } from '../spec/source-item.ts';
import type { UsageStore } from '../store/usage-store.ts';
import { createProviders } from './create-providers.ts';
import type { ChatContext, EventSink, PipelineSteps } from './request-record.ts';
import { runChat } from './run-chat.ts';

/** Where prompt templates live when the config does not say. */
const defaultPromptDirectory = 'prompts';

/**
 * The prompt library: the configured directory must exist; the default one may be missing (Sluice run
 * from another folder), which leaves no templates rather than failing start-up.
 */
function loadPrompts(directory: string | undefined): PromptLibrary {
  if (directory === undefined && !existsSync(defaultPromptDirectory)) return createPromptLibrary([]);
  return loadPromptLibrary(directory ?? defaultPromptDirectory);
}

/** How long `on_cancel: drain` reads on after the client left, at most. */
const drainTimeoutMs = 120_000;

/** The one pipeline both doors run requests through, for one version of the config. */
export interface Gateway {
  config: Config;
  /** Runs one request, handing its events to `emit`; resolves once it has ended (see `runChat`). */
  runChat(request: ChatRequest, context: ChatContext, emit: EventSink): Promise<void>;
  /** The model names a user may ask for; throws `forbidden` for a plan the config does not define. */
  modelNames(identity: Identity): string[];
  /** The user's plan limits and what is left of them. */
  limitsOf(identity: Identity): Promise<Record<string, unknown>>;
  store: UsageStore;
}

/** What outlives a config reload: the usage store, rate limits, targets' health and the observers. */
export interface GatewayShared {
  store: UsageStore;
  limiters: RateLimiters;
  registry: TargetRegistry;
  observer: RequestObserver;
  /** Aborted when the server stops taking requests (reason: an `unavailable` GatewayError). */
  stopping: AbortSignal;
  /** After this aborts, requests still in flight are ended (reason: an `unavailable` GatewayError). */
  stopped: AbortSignal;
  cache: ResponseCache;
  hub: CoalescingHub<SourceItem>;
  /** Present with Redis: identical requests on other instances share calls too. */
  sharedCalls?: SharedCalls;
  /** Where the config file is: hook module paths are relative to it. */
  baseDirectory: string;
  /** The provider kinds a config's `providers` may name (`providers/index.ts`, given by the composition root). */
  providerKinds: readonly ProviderKind[];
  log: Logger;
}

/** The steps of the pipeline for one config: adapters per provider, a router over the model routes, the quota step. */
export async function createPipelineSteps(config: Config, shared: GatewayShared): Promise<PipelineSteps> {
  const { store, limiters, registry, observer, stopping, stopped, cache, hub, sharedCalls } = shared;
  const router = createRouter(config, createProviders(config, shared.providerKinds), registry);
  const quota = createQuotaGuard(store, limiters, () => ({
    plans: config.plans,
    pricing: config.pricing,
    settings: config.quota,
  }));
  const prompts = loadPrompts(config.prompts.directory);
  const hooks = await createHookRunner(config.hooks, {
    baseDirectory: shared.baseDirectory,
    log: shared.log,
  });
  return {
    router,
    quota,
    drainTimeoutMs,
    observer,
    stopping,
    stopped,
    prompts,
    cache,
    hub,
    sharedCalls,
    hooks,
    hitsCountTokens: config.cache.hits_count_tokens,
  };
}

/** Wires one config into the gateway both doors run requests through. */
export async function createGateway(config: Config, shared: GatewayShared): Promise<Gateway> {
  const steps = await createPipelineSteps(config, shared);
  const { router, quota } = steps;
  return {
    config,
    store: shared.store,
    runChat: (request, context, emit) => runChat(request, context, steps, emit),
    modelNames(identity) {
      const allowed = quota.planOf(identity).models;
      return allowed ? router.modelNames().filter((name) => allowed.includes(name)) : router.modelNames();
    },
    limitsOf: (identity) => quota.limitsOf(identity),
  };
}
