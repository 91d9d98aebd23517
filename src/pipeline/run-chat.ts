import type { Logger } from 'pino';
import { type Identity, isExpired } from '../auth/identity.ts';
import { cacheKey } from '../cache/cache-key.ts';
import type { CoalescingHub, Subscription } from '../cache/coalescing-hub.ts';
import { createCacheRecorder } from '../cache/create-cache-recorder.ts';
import { decideCacheUse } from '../cache/decide-cache-use.ts';
import type { ResponseCache } from '../cache/response-cache.ts';
import type { SharedCalls } from '../cache/shared-calls.ts';
import { GatewayError, isGatewayError, toGatewayError } from '../errors/gateway-error.ts';
import type { HookRequestContext, HookRunner } from '../hooks/create-hook-runner.ts';
import { applyRenderedPrompt } from '../prompts/apply-rendered-prompt.ts';
import type { PromptLibrary } from '../prompts/create-prompt-library.ts';
import type { Admission, QuotaGuard, UpstreamTarget } from '../quota/create-quota-guard.ts';
import { type OpenedUpstream, openUpstream } from '../routing/open-upstream.ts';
import type { ResolvedRoute, RoutedTarget, Router } from '../routing/resolve-route.ts';
import type { ChatRequest, ProviderRequest } from '../spec/chat-request.ts';
import type { GatewayEvent, QuotaState, ReportedUsage } from '../spec/gateway-event.ts';
import type { RequestObserver, RequestSummary } from '../spec/request-observer.ts';
import type { FinishReason, OutputPart, StreamPart } from '../spec/stream-part.ts';
import type { Usage } from '../spec/usage.ts';
import { startRequestTrace } from '../tracing/start-request-trace.ts';
import { aborted, abortWhen, createAbortRace, ignoreRejection } from './abort-signal-promise.ts';
import { drainUpstream } from './drain-upstream.ts';
import { createOutputTally } from './output-tally.ts';
import type { SourceItem } from './pump-to-broadcast.ts';
import { replayCachedReply } from './replay-cached-reply.ts';
import { startSharedCall } from './start-shared-call.ts';
import { startUpstreamTimers } from './upstream-timers.ts';

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

/** The error a shared call ended with before it started. */
function errorOf(item: SourceItem): GatewayError {
  return item.type === 'error'
    ? item.error
    : new GatewayError('internal', `unexpected ${item.type} before start`);
}

/** The request as one target receives it: its model, its parameter defaults under the client's own values. */
function toProviderRequest(
  request: ChatRequest,
  target: RoutedTarget,
  maxTokens: number | undefined,
): ProviderRequest {
  const { stop, tools, messages } = request;
  const defaults = target.params ?? {};
  return {
    model: target.model,
    messages,
    maxTokens: maxTokens ?? defaults.max_tokens,
    temperature: request.temperature ?? defaults.temperature,
    topP: request.topP ?? defaults.top_p,
    stop,
    tools,
  };
}

/**
 * Runs one chat request through the pipeline and hands its events to `emit`: `start`, output parts,
 * and exactly one `done` or `error`; resolves once the request has ended. Every admitted request is
 * settled in the usage store exactly once (also when the sink throws: the request then ends as
 * abandoned and the promise rejects with the sink's error), and its end is logged in one line.
 * No promise per token where the sink does not ask to wait and the parts come from a shared call.
 */
export async function runChat(
  request: ChatRequest,
  context: ChatContext,
  steps: PipelineSteps,
  emit: EventSink,
): Promise<void> {
  const startedAt = performance.now();
  const { signal, log, identity } = context;
  // The request as the provider will see it, once templates have been filled.
  let effective = request;
  const tally = createOutputTally(() => effective.messages);
  const hookContext: HookRequestContext = { requestId: context.requestId, identity, request, log, signal };
  const upstream = new AbortController();
  let target: RoutedTarget | undefined;
  let opened: OpenedUpstream | undefined;
  let admission: Admission | undefined;
  let firstOutputMs: number | undefined;
  let lastOutputAt = 0;
  let onCancel: 'abort' | 'drain' = 'abort';
  let stopTimers = () => {};
  let stopListening = () => {};
  let stopRacing = () => {};
  let outcome = 'abandoned';
  let finalUsage: ReportedUsage | undefined;
  let endedInBackground = false;
  let servedFromCache = false;
  let cacheLookup: 'hit' | 'miss' | undefined;
  let answered: UpstreamTarget = { model: '', provider: '' };
  let failed = false;
  steps.observer.requestStarted(request.model);
  const requestTrace = startRequestTrace(context.traceparent, {
    requestId: context.requestId,
    model: request.model,
  });

  const logEnd = () => {
    const durationMs = Math.round(performance.now() - startedAt);
    const ttftMs = firstOutputMs === undefined ? undefined : Math.round(firstOutputMs);
    const summary: RequestSummary = {
      user: identity.user,
      plan: identity.plan,
      model: effective.model,
      provider: target?.provider,
      upstreamModel: target?.model,
      outcome,
      failed,
      inputTokens: finalUsage?.inputTokens,
      outputTokens: finalUsage?.outputTokens,
      ttftMs,
      durationMs,
      cached: servedFromCache,
      cacheLookup,
    };
    log.info(
      {
        event: 'request_end',
        user: identity.user,
        plan: identity.plan,
        model: effective.model,
        provider: target?.provider,
        upstream_model: target?.model,
        input_tokens: finalUsage?.inputTokens,
        output_tokens: finalUsage?.outputTokens,
        duration_ms: durationMs,
        ttft_ms: ttftMs,
        outcome,
      },
      'request end',
    );
    steps.observer.requestEnded(summary);
    // Done hooks see the request as the pre hooks left it, after the client had its answer.
    void steps.hooks.runDone({ ...hookContext, request: effective }, summary);
    requestTrace.end({
      outcome,
      failed,
      inputTokens: finalUsage?.inputTokens,
      outputTokens: finalUsage?.outputTokens,
    });
  };

  /** Opens the route's upstream for this request (trying its targets in turn) under `signal`. */
  const openRoute = (
    route: ResolvedRoute,
    granted: Admission,
    callSignal: AbortSignal,
    onTry: (target: RoutedTarget) => void,
  ) =>
    openUpstream({
      route,
      user: identity.user,
      requestFor: (candidate) => toProviderRequest(effective, candidate, granted.maxTokens),
      signal: callSignal,
      log,
      requestId: context.requestId,
      traceparentFor: (candidate) => requestTrace.startUpstream(candidate),
      onTry,
    });

  /** Starts the one upstream call that identical requests share; returns this request's subscription. */
  const leadSharedCall = (route: ResolvedRoute, key: string, granted: Admission, storeReply: boolean) =>
    startSharedCall({
      key,
      hub: steps.hub,
      sharedCalls: steps.sharedCalls,
      stopped: steps.stopped,
      open: (callSignal) => openRoute(route, granted, callSignal, () => {}),
      timeouts: route.timeouts,
      messages: effective.messages,
      // A reply cut short by this user's allowance is not the reply others would get.
      store:
        storeReply && !granted.limitedByQuota
          ? { recorder: createCacheRecorder(), save: (reply) => steps.cache.set(key, reply) }
          : undefined,
    });

  /** What a usage costs this user: nothing when the reply came from the cache. */
  const costOf = (usage: ReportedUsage) => {
    const cost = admission?.costOf(usage);
    return cost !== undefined && servedFromCache ? 0 : cost;
  };

  /** Books the request's usage and returns the user's remaining allowance. */
  const settle = async (reported: Usage | undefined, end: string): Promise<QuotaState> => {
    outcome = end;
    finalUsage = tally.usage(reported);
    if (!admission) return {};
    const durationMs = Math.round(performance.now() - startedAt);
    // A cache hit costs nothing; whether its tokens count is the operator's choice.
    const booked =
      servedFromCache && !steps.hitsCountTokens
        ? { ...finalUsage, inputTokens: 0, outputTokens: 0 }
        : finalUsage;
    return admission.settle({
      usage: booked,
      outcome: end,
      ttftMs: firstOutputMs,
      durationMs,
      cached: servedFromCache,
    });
  };

  /** The terminal event once the request was aborted: a cancel ends with `done`, a failure with `error`. */
  const abortedEnd = async (): Promise<GatewayEvent> => {
    const reason = upstream.signal.aborted ? upstream.signal.reason : signal.reason;
    if (isGatewayError(reason)) {
      failed = true;
      await settle(undefined, reason.code);
      return { type: 'error', error: reason, usage: finalUsage! };
    }
    const quota = await settle(undefined, 'cancelled');
    return {
      type: 'done',
      finishReason: 'cancelled',
      usage: finalUsage!,
      costUsd: costOf(finalUsage!),
      quota,
    };
  };

  try {
    // Where the parts come from: a shared call's subscription, or a stream of this request's own.
    let subscription: Subscription<SourceItem> | undefined;
    let stream: AsyncIterable<StreamPart> | undefined;
    try {
      steps.stopping.throwIfAborted();
      if (isExpired(identity)) throw new GatewayError('unauthorized', 'credential expired');
      if (request.prompt) effective = applyRenderedPrompt(request, steps.prompts.render(request.prompt));
      hookContext.request = effective;
      await steps.hooks.runPre(hookContext);
      effective = hookContext.request;
      const route = steps.router.resolve(effective.model);
      // A route with one target names its provider even when the request is refused before the call.
      if (route.targets.length === 1) target = route.targets[0];
      const granted = await steps.quota.admit({
        identity,
        request: effective,
        requestId: context.requestId,
        candidates: route.targets,
      });
      admission = granted;
      if (granted.warnings.length > 0) log.warn({ warnings: granted.warnings }, 'request parameters changed');
      onCancel = route.onCancel;
      // With `drain`, a cancel after output leaves the upstream running until its usage arrives.
      const forwardAbort = () => {
        if (onCancel === 'abort' || firstOutputMs === undefined || isGatewayError(signal.reason)) {
          upstream.abort(signal.reason);
        }
      };
      if (signal.aborted) forwardAbort();
      else signal.addEventListener('abort', forwardAbort, { once: true });
      stopListening = abortWhen(steps.stopped, upstream);
      const cacheUse = decideCacheUse(route.cache, effective.cache, effective.temperature);
      // A drained cancel reads its own upstream on, so such routes do not share calls.
      const coalesce = route.coalesce && route.onCancel === 'abort';
      // Hashed at its first use: a request that neither reads the cache nor shares calls never needs it.
      let key: string | undefined;
      const keyOf = () =>
        (key ??= cacheKey({
          route: route.name,
          targets: route.targets.map(({ provider, model, params }) => ({ provider, model, params })),
          messages: effective.messages,
          tools: effective.tools,
          temperature: effective.temperature,
          topP: effective.topP,
          maxTokens: granted.maxTokens,
          stop: effective.stop,
        }));
      const hit = cacheUse.read ? await steps.cache.get(keyOf()) : undefined;
      if (cacheUse.read) cacheLookup = hit ? 'hit' : 'miss';
      const joined = hit || !coalesce ? undefined : steps.hub.join(keyOf());
      if (hit) {
        servedFromCache = true;
        stream = replayCachedReply(hit);
        answered = { model: hit.model, provider: hit.provider };
      } else if (joined || coalesce) {
        const shared = joined ?? leadSharedCall(route, keyOf(), granted, cacheUse.write);
        subscription = shared;
        // A cancel, a failure or the server's stop leaves the call, which ends a pending read at once:
        // no race per read. Never removed: a leave after the end changes nothing.
        if (upstream.signal.aborted) shared.leave();
        else upstream.signal.addEventListener('abort', shared.leave, { once: true });
        let first = shared.take();
        while (first === undefined && !shared.over()) {
          await shared.changed();
          first = shared.take();
        }
        // Over before its first item: this request left it, aborted.
        if (first === undefined) throw upstream.signal.reason;
        if (first.type !== 'start') {
          shared.leave();
          throw errorOf(first);
        }
        answered = { model: first.model, provider: first.provider };
      } else {
        // The clock starts before the upstream answers, as a shared call's does (in startSharedCall).
        stopTimers = startUpstreamTimers(upstream, route.timeouts, () => lastOutputAt);
        opened = await openRoute(route, granted, upstream.signal, (candidate) => {
          target = candidate;
        });
        stream = opened.stream;
        answered = opened.target;
      }
      target =
        route.targets.find(
          (candidate) => candidate.provider === answered.provider && candidate.model === answered.model,
        ) ?? target;
      granted.bindTarget(answered);
    } catch (error) {
      if (signal.aborted || upstream.signal.aborted) {
        await emit(await abortedEnd());
        return;
      }
      const failure = toGatewayError(error);
      failed = true;
      await settle({ inputTokens: 0, outputTokens: 0 }, failure.code);
      await emit({ type: 'error', error: failure });
      return;
    }

    await emit({
      type: 'start',
      model: answered.model,
      provider: answered.provider,
      cached: servedFromCache,
      warnings: admission.warnings,
    });

    const transform = steps.hooks.streamTransform({ ...hookContext, request: effective });
    /** The normal end: text the stream hooks held back, then `done` with the usage booked. */
    const endWithDone = async (reported: Usage | undefined, finishReason: FinishReason) => {
      if (transform) for (const part of transform.flush()) await emit(part);
      const quota = await settle(reported, finishReason);
      await emit({ type: 'done', finishReason, usage: finalUsage!, costUsd: costOf(finalUsage!), quota });
    };
    const iterator = stream?.[Symbol.asyncIterator]();
    // Only a stream of its own needs a race: a shared call's read ends when the request leaves it.
    const race = iterator && createAbortRace([signal, upstream.signal]);
    if (race) stopRacing = race.dispose;
    for (;;) {
      let part: StreamPart;
      if (subscription) {
        const item = subscription.take();
        if (item === undefined) {
          if (subscription.over()) {
            // Over before its terminal item: this request left the call, aborted.
            await emit(await abortedEnd());
            return;
          }
          await subscription.changed();
          continue;
        }
        part = item as StreamPart;
      } else {
        const next = iterator!.next();
        const result = await race!.read(next);
        if (result === aborted) {
          ignoreRejection(next);
          if (!upstream.signal.aborted && onCancel === 'drain') {
            // A drained cancel: the client is released now, billing completes in the background.
            endedInBackground = true;
            stopTimers();
            const usage = tally.usage(undefined);
            void drainUpstream(next, iterator!, upstream, steps.drainTimeoutMs, (part) => tally.add(part))
              .then((reported) => settle(reported, 'cancelled'))
              .catch((error: unknown) => log.error({ err: error }, 'settling a drained request failed'))
              .finally(() => {
                stopListening();
                opened?.release();
                logEnd();
              });
            // The true usage is not known yet: report what was streamed, and no quota state.
            await emit({
              type: 'done',
              finishReason: 'cancelled',
              usage,
              costUsd: costOf(usage),
              quota: {},
            });
            return;
          }
          ignoreRejection(Promise.resolve(iterator!.return?.()));
          await emit(await abortedEnd());
          return;
        }
        if (result.done) {
          const failure = new GatewayError('internal', 'provider stream ended without a result');
          failed = true;
          await settle(undefined, failure.code);
          await emit({ type: 'error', error: failure, usage: finalUsage! });
          return;
        }
        part = result.value;
      }
      if (part.type === 'finish') {
        const limited = part.finishReason === 'length' && admission.limitedByQuota;
        await endWithDone(part.usage, limited ? 'quota' : part.finishReason);
        return;
      }
      if (part.type === 'error') {
        failed = true;
        await settle(part.usage, part.error.code);
        await emit({ type: 'error', error: part.error, usage: finalUsage! });
        return;
      }
      if (!admission.meter(part)) {
        // The provider went past max_tokens: stop there, as it should have (a shared call is left).
        upstream.abort('max_tokens reached');
        ignoreRejection(Promise.resolve(iterator?.return?.()));
        await endWithDone(undefined, admission.limitedByQuota ? 'quota' : 'length');
        return;
      }
      lastOutputAt = performance.now();
      firstOutputMs ??= lastOutputAt - startedAt;
      tally.add(part);
      if (!transform) {
        const waiting = emit(part);
        if (waiting) await waiting;
        continue;
      }
      let transformed: OutputPart[];
      try {
        transformed = transform.push(part);
      } catch (error) {
        ignoreRejection(Promise.resolve(iterator?.return?.()));
        upstream.abort('a stream hook failed');
        const failure = toGatewayError(error);
        failed = true;
        await settle(undefined, failure.code);
        await emit({ type: 'error', error: failure, usage: finalUsage! });
        return;
      }
      for (const each of transformed) {
        const waiting = emit(each);
        if (waiting) await waiting;
      }
    }
  } finally {
    stopRacing();
    if (!endedInBackground) {
      stopListening();
      stopTimers();
      opened?.release();
      if (outcome === 'abandoned') {
        // The sink failed before the end: stop the upstream (leave a shared call), bill what was streamed.
        upstream.abort('abandoned');
        await settle(undefined, 'abandoned').catch((error: unknown) =>
          log.error({ err: error }, 'settling failed'),
        );
      }
      logEnd();
    }
  }
}
