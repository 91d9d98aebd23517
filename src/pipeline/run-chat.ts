import type { Logger } from 'pino';
import { GatewayError, isGatewayError, toGatewayError } from '../errors/gateway-error.ts';
import type { Router } from '../routing/resolve-route.ts';
import type { ChatRequest, ProviderRequest } from '../spec/chat-request.ts';
import type { StreamPart } from '../spec/stream-part.ts';
import type { GatewayEvent, ReportedUsage } from './gateway-event.ts';
import { createOutputTally } from './output-tally.ts';
import { untilAborted } from './until-aborted.ts';

/** Who is asking, and the request's own handles. */
export interface ChatContext {
  requestId: string;
  user: string;
  /** Aborted on cancel or disconnect (reason: anything but a GatewayError), or to fail the request (reason: a GatewayError). */
  signal: AbortSignal;
  log: Logger;
}

function toProviderRequest(request: ChatRequest, upstreamModel: string): ProviderRequest {
  const { maxTokens, temperature, topP, stop, tools, messages } = request;
  return { model: upstreamModel, messages, maxTokens, temperature, topP, stop, tools };
}

interface RequestOutcome {
  provider?: string;
  upstreamModel?: string;
  usage?: ReportedUsage;
  firstOutputMs?: number;
  outcome: string;
}

/**
 * Runs one chat request through the pipeline and yields its events: `start`, output parts, and
 * exactly one `done` or `error` (also when the consumer stops early, nothing more is yielded and the
 * request is logged). Writes the one log line per request end.
 */
export async function* runChat(
  request: ChatRequest,
  context: ChatContext,
  router: Router,
): AsyncGenerator<GatewayEvent> {
  const startedAt = performance.now();
  const outcome: RequestOutcome = { outcome: 'abandoned' };
  const tally = createOutputTally(request.messages);
  const { signal, log } = context;

  /** The terminal event for an aborted request: its reason decides between a cancel and a failure. */
  const abortedEnd = (): GatewayEvent => {
    const usage = tally.usage(undefined);
    outcome.usage = usage;
    if (isGatewayError(signal.reason)) {
      outcome.outcome = signal.reason.code;
      return { type: 'error', error: signal.reason, usage };
    }
    outcome.outcome = 'cancelled';
    return { type: 'done', finishReason: 'cancelled', usage };
  };

  try {
    let stream: AsyncIterable<StreamPart>;
    try {
      const target = router.resolve(request.model);
      outcome.provider = target.provider;
      outcome.upstreamModel = target.model;
      stream = await target.adapter.stream(toProviderRequest(request, target.model), {
        signal,
        log,
        requestId: context.requestId,
      });
    } catch (error) {
      if (signal.aborted) {
        yield abortedEnd();
        return;
      }
      const failure = toGatewayError(error);
      outcome.outcome = failure.code;
      yield { type: 'error', error: failure };
      return;
    }

    yield {
      type: 'start',
      model: outcome.upstreamModel ?? '',
      provider: outcome.provider ?? '',
      cached: false,
    };

    for await (const part of untilAborted(stream, signal)) {
      if (part.type === 'finish') {
        outcome.usage = tally.usage(part.usage);
        outcome.outcome = part.finishReason;
        yield { type: 'done', finishReason: part.finishReason, usage: outcome.usage };
        return;
      }
      if (part.type === 'error') {
        outcome.usage = tally.usage(part.usage);
        outcome.outcome = part.error.code;
        yield { type: 'error', error: part.error, usage: outcome.usage };
        return;
      }
      outcome.firstOutputMs ??= performance.now() - startedAt;
      tally.add(part);
      yield part;
    }
    // The stream ended without a terminal part: only an abort does that (adapters guarantee the rest).
    yield signal.aborted
      ? abortedEnd()
      : { type: 'error', error: new GatewayError('internal', 'provider stream ended without a result') };
  } finally {
    outcome.usage ??= tally.hasOutput() ? tally.usage(undefined) : undefined;
    log.info(
      {
        event: 'request_end',
        user: context.user,
        model: request.model,
        provider: outcome.provider,
        upstream_model: outcome.upstreamModel,
        input_tokens: outcome.usage?.inputTokens,
        output_tokens: outcome.usage?.outputTokens,
        duration_ms: Math.round(performance.now() - startedAt),
        ttft_ms: outcome.firstOutputMs === undefined ? undefined : Math.round(outcome.firstOutputMs),
        outcome: outcome.outcome,
      },
      'request end',
    );
  }
}
