import type { Logger } from 'pino';
import type { Identity } from '../auth/identity.ts';
import type { CoalescingHub } from '../cache/coalescing-hub.ts';
import type { ResponseCache } from '../cache/response-cache.ts';
import type { SharedCalls } from '../cache/shared-calls.ts';
import type { HookRequestContext, HookRunner } from '../hooks/create-hook-runner.ts';
import type { PromptLibrary } from '../prompts/create-prompt-library.ts';
import type { Admission, QuotaGuard, UpstreamTarget } from '../quota/create-quota-guard.ts';
import type { OpenedUpstream } from '../routing/open-upstream.ts';
import type { ResolvedRoute, RoutedTarget, Router } from '../routing/resolve-route.ts';
import type { ChatRequest } from '../spec/chat-request.ts';
import type { GatewayEvent, ReportedUsage } from '../spec/gateway-event.ts';
import type { RequestObserver } from '../spec/request-observer.ts';
import type { SourceItem } from '../spec/source-item.ts';
import { type RequestTrace, startRequestTrace } from '../tracing/start-request-trace.ts';
import { createOutputTally } from './output-tally.ts';

/** Who is asking, and the request's own handles. */
export interface ChatContext {
  requestId: string;
  identity: Identity;
  /** Aborted when the client cancels or leaves (reason: anything but a GatewayError), or to fail the request (reason: a GatewayError). */
  signal: AbortSignal;
  log: Logger;
  /** The client's W3C `traceparent`, when it sent one. */
  traceparent?: string;
}

/** The steps the pipeline runs a request through. */
export interface PipelineSteps {
  router: Router;
  quota: QuotaGuard;
  /** How long `on_cancel: drain` keeps reading an upstream after its client left. */
  drainTimeoutMs: number;
  observer: RequestObserver;
  prompts: PromptLibrary;
  hooks: HookRunner;
  cache: ResponseCache;
  hub: CoalescingHub<SourceItem>;
  /** Present with Redis: identical requests on other instances share calls too. */
  sharedCalls?: SharedCalls;
  /** Whether a cache hit's tokens count against token quotas (always at a price of zero). */
  hitsCountTokens: boolean;
  /** Aborted while the server drains: new requests are refused with its reason. */
  stopping: AbortSignal;
  /** Aborted when the drain time is up: requests still running end with its reason. */
  stopped: AbortSignal;
}

/**
 * Receives a request's events in order. A returned promise holds the pipeline until it settles (the
 * door's backpressure); returning nothing lets the next event come at once.
 */
export type EventSink = (event: GatewayEvent) => Promise<void> | undefined;

/**
 * One request on its way through the stages: what each stage learned, for the stages after it. Each
 * field is written by one stage (named on it) and only read by the later ones.
 */
export interface RequestRecord {
  readonly request: ChatRequest;
  readonly context: ChatContext;
  readonly steps: PipelineSteps;
  /** `performance.now()` when the request came in. */
  readonly startedAt: number;
  /** What the request streamed, for counting usage the provider did not report. */
  readonly tally: ReturnType<typeof createOutputTally>;
  readonly hookContext: HookRequestContext;
  /** The request's upstream call (or its share of one): aborted on a cancel, a failure or the server's stop. */
  readonly upstream: AbortController;
  readonly trace: RequestTrace;
  /** admit: the request as the provider will see it, once templates and pre hooks have run. */
  effective: ChatRequest;
  /** admit: the model route. */
  route: ResolvedRoute | undefined;
  /** admit: what the quota granted. */
  admission: Admission | undefined;
  /** admit, then source: the target that answers (known before the call when the route has one). */
  target: RoutedTarget | undefined;
  /** source: the provider and model that answered. */
  answered: UpstreamTarget;
  /** source: the request's own upstream call, when it has one. */
  opened: OpenedUpstream | undefined;
  /** source: the reply comes from the response cache. */
  servedFromCache: boolean;
  /** source: whether the response cache was asked, and what it answered. */
  cacheLookup: 'hit' | 'miss' | undefined;
  /** source: stops the route's timers on the request's own call. */
  stopTimers: () => void;
  /** source: unlinks the upstream from the request's signal and the server's stop. */
  stopListening: () => void;
  /** relay: milliseconds from the start to the first output part. */
  firstOutputMs: number | undefined;
  /** relay: `performance.now()` of the latest output part (0 before the first), for the idle timeout. */
  lastOutputAt: number;
  /** end: a finish reason or error code; `abandoned` until the end stage settles the request. */
  outcome: string;
  /** end: the request ended with an `error` event. */
  failed: boolean;
  /** end: the usage the request was billed for. */
  finalUsage: ReportedUsage | undefined;
  /** end: a drained cancel settles, releases and logs the request later, in the background. */
  drainingInBackground: boolean;
}

/** A new request's record, before any stage has run; starts the request's trace and tells the observer. */
export function createRequestRecord(
  request: ChatRequest,
  context: ChatContext,
  steps: PipelineSteps,
): RequestRecord {
  const { requestId, identity, log, signal } = context;
  steps.observer.requestStarted(request.model);
  const record: RequestRecord = {
    request,
    context,
    steps,
    startedAt: performance.now(),
    tally: createOutputTally(() => record.effective.messages),
    hookContext: { requestId, identity, request, log, signal },
    upstream: new AbortController(),
    trace: startRequestTrace(context.traceparent, { requestId, model: request.model }),
    effective: request,
    route: undefined,
    admission: undefined,
    target: undefined,
    answered: { model: '', provider: '' },
    opened: undefined,
    servedFromCache: false,
    cacheLookup: undefined,
    stopTimers: () => {},
    stopListening: () => {},
    firstOutputMs: undefined,
    lastOutputAt: 0,
    outcome: 'abandoned',
    failed: false,
    finalUsage: undefined,
    drainingInBackground: false,
  };
  return record;
}
