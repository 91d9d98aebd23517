import { type GatewayError, isGatewayError, toGatewayError } from '../errors/gateway-error.ts';
import type { GatewayEvent, QuotaState, ReportedUsage } from '../spec/gateway-event.ts';
import type { RequestSummary } from '../spec/request-observer.ts';
import type { FinishReason } from '../spec/stream-part.ts';
import type { Usage } from '../spec/usage.ts';
import type { PartSource } from './part-source.ts';
import type { EventSink, RequestRecord } from './request-record.ts';

/** How a request's stream ended, as the stages before the end stage report it. */
export type Ending =
  /** Admission or the source failed (thrown): nothing was sent yet. */
  | { type: 'refused'; error: unknown }
  /** The reply finished (or was cut at max_tokens): `done`. */
  | { type: 'done'; finishReason: FinishReason; usage: Usage | undefined }
  /** The stream failed after `start`: `error`, with what was used. */
  | { type: 'failed'; error: GatewayError; usage: Usage | undefined }
  /** The request was aborted while streaming: a cancel, a failure from outside, or the server's stop. */
  | { type: 'aborted'; source: PartSource };

/** What a usage costs the user: nothing when the reply came from the cache. */
function costOf(record: RequestRecord, usage: ReportedUsage): number | undefined {
  const cost = record.admission?.costOf(usage);
  return cost !== undefined && record.servedFromCache ? 0 : cost;
}

/** Books the request's usage and returns the user's remaining allowance. */
async function settle(
  record: RequestRecord,
  reported: Usage | undefined,
  outcome: string,
): Promise<QuotaState> {
  record.outcome = outcome;
  const usage = record.tally.usage(reported);
  record.finalUsage = usage;
  const { admission, servedFromCache } = record;
  if (!admission) return {};
  // A cache hit costs nothing; whether its tokens count is the operator's choice.
  const booked =
    servedFromCache && !record.steps.hitsCountTokens ? { ...usage, inputTokens: 0, outputTokens: 0 } : usage;
  return admission.settle({
    usage: booked,
    outcome,
    ttftMs: record.firstOutputMs,
    durationMs: Math.round(performance.now() - record.startedAt),
    cached: servedFromCache,
  });
}

/** The terminal event once the request was aborted: a cancel ends with `done`, a failure with `error`. */
async function abortedEnd(record: RequestRecord): Promise<GatewayEvent> {
  const { upstream, context } = record;
  const reason = upstream.signal.aborted ? upstream.signal.reason : context.signal.reason;
  if (isGatewayError(reason)) return failedEnd(record, reason, undefined);
  const quota = await settle(record, undefined, 'cancelled');
  const usage = record.finalUsage!;
  return { type: 'done', finishReason: 'cancelled', usage, costUsd: costOf(record, usage), quota };
}

/** The terminal `error` of a request that failed once admitted, with what it used. */
async function failedEnd(
  record: RequestRecord,
  error: GatewayError,
  reported: Usage | undefined,
): Promise<GatewayEvent> {
  record.failed = true;
  await settle(record, reported, error.code);
  return { type: 'error', error, usage: record.finalUsage! };
}

/**
 * `on_cancel: drain`: the client is released now with what was streamed (the true usage is not known
 * yet, so no quota state), and the upstream is read on in the background until its usage arrives,
 * which settles the request.
 */
function drainInBackground(record: RequestRecord, source: PartSource): GatewayEvent {
  const { tally, context, steps } = record;
  record.drainingInBackground = true;
  record.stopTimers();
  const usage = tally.usage(undefined);
  void source.drain!(steps.drainTimeoutMs, (part) => tally.add(part))
    .then((reported) => settle(record, reported, 'cancelled'))
    .catch((error: unknown) => context.log.error({ err: error }, 'settling a drained request failed'))
    .finally(() => {
      record.stopListening();
      record.opened?.release();
      logEnd(record);
    });
  return { type: 'done', finishReason: 'cancelled', usage, costUsd: costOf(record, usage), quota: {} };
}

/** The one terminal event for how the request ended, once its usage is booked. */
async function terminalEvent(record: RequestRecord, ending: Ending): Promise<GatewayEvent> {
  const { context, upstream } = record;
  switch (ending.type) {
    case 'refused': {
      if (context.signal.aborted || upstream.signal.aborted) return abortedEnd(record);
      const failure = toGatewayError(ending.error);
      record.failed = true;
      // Refused before the call: nothing was used.
      await settle(record, { inputTokens: 0, outputTokens: 0 }, failure.code);
      return { type: 'error', error: failure };
    }
    case 'done': {
      const quota = await settle(record, ending.usage, ending.finishReason);
      const usage = record.finalUsage!;
      return {
        type: 'done',
        finishReason: ending.finishReason,
        usage,
        costUsd: costOf(record, usage),
        quota,
      };
    }
    case 'failed':
      return failedEnd(record, ending.error, ending.usage);
    case 'aborted': {
      const { source } = ending;
      if (source.drain && !upstream.signal.aborted && record.route?.onCancel === 'drain') {
        return drainInBackground(record, source);
      }
      source.stop();
      return abortedEnd(record);
    }
  }
}

/**
 * The end stage: settles the request in the usage store and hands the sink its one `done` or
 * `error`. The only place a request's terminal event is produced.
 */
export async function endRequest(record: RequestRecord, ending: Ending, emit: EventSink): Promise<void> {
  await emit(await terminalEvent(record, ending));
}

/**
 * Lets go of the request's upstream and timers and logs its end, unless a drain does that later. A
 * request whose sink failed before its end is stopped (a shared call is left) and billed for what it
 * streamed, as abandoned.
 */
export async function closeRequest(record: RequestRecord): Promise<void> {
  if (record.drainingInBackground) return;
  record.stopListening();
  record.stopTimers();
  record.opened?.release();
  if (record.outcome === 'abandoned') {
    record.upstream.abort('abandoned');
    await settle(record, undefined, 'abandoned').catch((error: unknown) =>
      record.context.log.error({ err: error }, 'settling failed'),
    );
  }
  logEnd(record);
}

/** The request's one end line, its summary for the observer and the done hooks, and its trace's end. */
function logEnd(record: RequestRecord): void {
  const { context, steps, target, finalUsage, outcome, failed } = record;
  const { identity, log } = context;
  const durationMs = Math.round(performance.now() - record.startedAt);
  const ttftMs = record.firstOutputMs === undefined ? undefined : Math.round(record.firstOutputMs);
  const summary: RequestSummary = {
    user: identity.user,
    plan: identity.plan,
    model: record.effective.model,
    provider: target?.provider,
    upstreamModel: target?.model,
    outcome,
    failed,
    inputTokens: finalUsage?.inputTokens,
    outputTokens: finalUsage?.outputTokens,
    ttftMs,
    durationMs,
    cached: record.servedFromCache,
    cacheLookup: record.cacheLookup,
  };
  log.info(
    {
      event: 'request_end',
      user: identity.user,
      plan: identity.plan,
      model: record.effective.model,
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
  void steps.hooks.runDone({ ...record.hookContext, request: record.effective }, summary);
  record.trace.end({
    outcome,
    failed,
    inputTokens: finalUsage?.inputTokens,
    outputTokens: finalUsage?.outputTokens,
  });
}
