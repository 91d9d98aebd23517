import { toGatewayError } from '../errors/gateway-error.ts';
import type { StreamTransform } from '../hooks/hook-types.ts';
import type { OutputPart } from '../spec/stream-part.ts';
import type { Ending } from './end-request.ts';
import type { PartSource } from './part-source.ts';
import type { EventSink, RequestRecord } from './request-record.ts';

/** Hands the text the stream hooks held back to the sink, before the request's `done`. */
async function flushHeldBack(transform: StreamTransform | undefined, emit: EventSink): Promise<void> {
  if (transform) for (const part of transform.flush()) await emit(part);
}

/**
 * The relay stage: sends `start`, then reads the source part by part, meters each against the
 * allowance, tallies it, runs it through the stream hooks and hands it to the sink, waiting only
 * when the sink asks to. Returns how the stream ended, for the end stage; emits neither `done` nor
 * `error` itself. Throws what the sink (or the source's read) throws.
 */
export async function relayParts(
  record: RequestRecord,
  source: PartSource,
  emit: EventSink,
): Promise<Ending> {
  const admission = record.admission!;
  const { upstream, tally } = record;
  await emit({
    type: 'start',
    model: record.answered.model,
    provider: record.answered.provider,
    cached: record.servedFromCache,
    warnings: admission.warnings,
  });
  const transform = record.steps.hooks.streamTransform({ ...record.hookContext, request: record.effective });
  for (;;) {
    const part = source.take();
    if (part === undefined) {
      // Over before its terminal part: the request was aborted.
      if (source.over()) return { type: 'aborted', source };
      await source.changed();
      continue;
    }
    if (part.type === 'finish') {
      const limited = part.finishReason === 'length' && admission.limitedByQuota;
      await flushHeldBack(transform, emit);
      return { type: 'done', finishReason: limited ? 'quota' : part.finishReason, usage: part.usage };
    }
    if (part.type === 'error') return { type: 'failed', error: part.error, usage: part.usage };
    if (!admission.meter(part)) {
      // The provider went past max_tokens: stop there, as it should have (a shared call is left).
      upstream.abort('max_tokens reached');
      source.stop();
      await flushHeldBack(transform, emit);
      return { type: 'done', finishReason: admission.limitedByQuota ? 'quota' : 'length', usage: undefined };
    }
    record.lastOutputAt = performance.now();
    record.firstOutputMs ??= record.lastOutputAt - record.startedAt;
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
      source.stop();
      upstream.abort('a stream hook failed');
      return { type: 'failed', error: toGatewayError(error), usage: undefined };
    }
    for (const each of transformed) {
      const waiting = emit(each);
      if (waiting) await waiting;
    }
  }
}
