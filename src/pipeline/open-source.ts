import { cacheKey } from '../cache/cache-key.ts';
import { createCacheRecorder } from '../cache/create-cache-recorder.ts';
import { decideCacheUse } from '../cache/decide-cache-use.ts';
import { GatewayError, isGatewayError } from '../errors/gateway-error.ts';
import type { Admission } from '../quota/create-quota-guard.ts';
import { openUpstream } from '../routing/open-upstream.ts';
import type { ResolvedRoute, RoutedTarget } from '../routing/resolve-route.ts';
import type { ChatRequest, ProviderRequest } from '../spec/chat-request.ts';
import type { SourceItem } from '../spec/source-item.ts';
import { abortWhen } from './abort-signal-promise.ts';
import { type PartSource, streamSource, subscriptionSource } from './part-source.ts';
import { replayCachedReply } from './replay-cached-reply.ts';
import type { RequestRecord } from './request-record.ts';
import { startSharedCall } from './start-shared-call.ts';
import { startUpstreamTimers } from './upstream-timers.ts';

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

/** Opens the route's upstream for the request (trying its targets in turn) under `signal`. */
function openRoute(
  record: RequestRecord,
  route: ResolvedRoute,
  granted: Admission,
  signal: AbortSignal,
  onTry: (target: RoutedTarget) => void,
) {
  const { context, trace } = record;
  return openUpstream({
    route,
    user: context.identity.user,
    requestFor: (candidate) => toProviderRequest(record.effective, candidate, granted.maxTokens),
    signal,
    log: context.log,
    requestId: context.requestId,
    traceparentFor: (candidate) => trace.startUpstream(candidate),
    onTry,
  });
}

/** Ties the request's upstream to its client and to the server's stop. */
function linkUpstream(record: RequestRecord, route: ResolvedRoute): void {
  const { context, upstream, steps } = record;
  const { signal } = context;
  // With `drain`, a cancel after output leaves the upstream running until its usage arrives.
  const forwardAbort = () => {
    if (route.onCancel === 'abort' || record.firstOutputMs === undefined || isGatewayError(signal.reason)) {
      upstream.abort(signal.reason);
    }
  };
  if (signal.aborted) forwardAbort();
  else signal.addEventListener('abort', forwardAbort, { once: true });
  record.stopListening = abortWhen(steps.stopped, upstream);
}

/** Waits for a shared call's first item, who answered; throws how the call ended when it did not start. */
async function awaitStart(record: RequestRecord, shared: ReturnType<typeof startSharedCall>) {
  const { upstream } = record;
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
  record.answered = { model: first.model, provider: first.provider };
}

/**
 * The source stage: finds where the admitted request's parts come from (a cached reply, a shared
 * call it joins, one it leads, or a call of its own) and returns them as one part source, once it
 * is known who answers. Throws when no upstream could be opened, or when the request was aborted
 * meanwhile.
 */
export async function openSource(record: RequestRecord): Promise<PartSource> {
  const { steps, upstream, context } = record;
  const route = record.route!;
  const granted = record.admission!;
  const effective = record.effective;
  linkUpstream(record, route);
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
  if (cacheUse.read) record.cacheLookup = hit ? 'hit' : 'miss';
  const joined = hit || !coalesce ? undefined : steps.hub.join(keyOf());
  let source: PartSource;
  if (hit) {
    record.servedFromCache = true;
    record.answered = { model: hit.model, provider: hit.provider };
    source = streamSource(replayCachedReply(hit), context.signal, upstream);
  } else if (joined || coalesce) {
    const shared =
      joined ??
      startSharedCall({
        key: keyOf(),
        hub: steps.hub,
        sharedCalls: steps.sharedCalls,
        stopped: steps.stopped,
        open: (callSignal) => openRoute(record, route, granted, callSignal, () => {}),
        timeouts: route.timeouts,
        messages: effective.messages,
        // A reply cut short by this user's allowance is not the reply others would get.
        store:
          cacheUse.write && !granted.limitedByQuota
            ? { recorder: createCacheRecorder(), save: (reply) => steps.cache.set(keyOf(), reply) }
            : undefined,
      });
    await awaitStart(record, shared);
    source = subscriptionSource(shared);
  } else {
    // The clock starts before the upstream answers, as a shared call's does (in startSharedCall).
    record.stopTimers = startUpstreamTimers(upstream, route.timeouts, () => record.lastOutputAt);
    const opened = await openRoute(record, route, granted, upstream.signal, (candidate) => {
      record.target = candidate;
    });
    record.opened = opened;
    record.answered = opened.target;
    source = streamSource(opened.stream, context.signal, upstream);
  }
  const { answered } = record;
  record.target =
    route.targets.find(
      (candidate) => candidate.provider === answered.provider && candidate.model === answered.model,
    ) ?? record.target;
  granted.bindTarget(answered);
  return source;
}
