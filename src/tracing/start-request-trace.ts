import {
  type Attributes,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { boundText } from '../log/bound-text.ts';
import { childTraceparent, formatTraceparent, parseTraceparent, type Traceparent } from './traceparent.ts';

/** The instrumentation scope name of every Sluice span. */
export const tracerName = 'sluice';

/** How a request ended, as its spans record it. */
export interface TracedOutcome {
  /** A finish reason or an error code. */
  outcome: string;
  failed: boolean;
  inputTokens?: number;
  outputTokens?: number;
}

/** One open span around a hook; end it once the hook has run. */
export interface HookSpan {
  /** Ends the span, marked as failed when the hook threw `error`. */
  end(error?: unknown): void;
}

/** The spans of one request: `sluice.request`, and under it `sluice.upstream` and one per hook. */
export interface RequestTrace {
  /**
   * Opens a `sluice.upstream` span for a call to `target` and returns the `traceparent` to send with
   * it: the client's trace with a new span id. Undefined when there is no trace to continue. A call
   * for another try ends the previous try's span as failed.
   */
  startUpstream(target: { provider: string; model: string }): string | undefined;
  /** Opens a span for the hook `name`, under the request's span. */
  startHook(name: string): HookSpan;
  /** Ends the request's span and any upstream span still open. */
  end(result: TracedOutcome): void;
}

function failedStatus(span: Span, message: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/**
 * The traceparent that names `span` to the next hop. With no tracer configured, spans are the API's
 * no-op ones, which only echo their parent: then the upstream still gets the client's trace, under a
 * random span id of its own, and without a client trace it gets none.
 */
function traceparentOf(span: Span, parent: Traceparent | undefined): string | undefined {
  const context = span.spanContext();
  if (isSpanContextValid(context) && context.spanId !== parent?.parentId) {
    return formatTraceparent({
      traceId: context.traceId,
      parentId: context.spanId,
      flags: context.traceFlags,
    });
  }
  return parent ? formatTraceparent(childTraceparent(parent)) : undefined;
}

/**
 * Starts the trace of one request under the client's `traceparent` (ignored when invalid). Spans go
 * to whatever tracer provider is registered with the OpenTelemetry API: none, until an exporter is
 * configured (see `startTracing`). Nothing here awaits, so the pipeline's timing stays its own.
 */
export function startRequestTrace(
  traceparent: string | undefined,
  attributes: { requestId: string; model: string },
): RequestTrace {
  const tracer = trace.getTracer(tracerName);
  const parent = parseTraceparent(traceparent);
  const parentContext = parent
    ? trace.setSpanContext(ROOT_CONTEXT, {
        traceId: parent.traceId,
        spanId: parent.parentId,
        traceFlags: parent.flags,
        isRemote: true,
      })
    : ROOT_CONTEXT;
  const requestSpan = tracer.startSpan(
    'sluice.request',
    {
      kind: SpanKind.SERVER,
      // The model is the client's string, up to a frame long: bounded like a log line's.
      attributes: { 'sluice.request_id': attributes.requestId, 'sluice.model': boundText(attributes.model) },
    },
    parentContext,
  );
  const requestContext = trace.setSpan(parentContext, requestSpan);
  let upstreamSpan: Span | undefined;

  const child = (name: string, kind: SpanKind, spanAttributes: Attributes) =>
    tracer.startSpan(name, { kind, attributes: spanAttributes }, requestContext);

  return {
    startUpstream(target) {
      if (upstreamSpan) {
        // Routing tries again only after the previous try failed before any output.
        failedStatus(upstreamSpan, 'failed before output; tried again');
        upstreamSpan.end();
      }
      upstreamSpan = child('sluice.upstream', SpanKind.CLIENT, {
        'sluice.provider': target.provider,
        'gen_ai.request.model': target.model,
      });
      return traceparentOf(upstreamSpan, parent);
    },
    startHook(name) {
      const span = child('sluice.hook', SpanKind.INTERNAL, { 'sluice.hook.name': name });
      return {
        end(error) {
          if (error !== undefined) {
            span.recordException(error instanceof Error ? error : String(error));
            failedStatus(span, error instanceof Error ? error.message : String(error));
          }
          span.end();
        },
      };
    },
    end({ outcome, failed, inputTokens, outputTokens }) {
      if (upstreamSpan) {
        if (failed) failedStatus(upstreamSpan, outcome);
        upstreamSpan.end();
        upstreamSpan = undefined;
      }
      requestSpan.setAttribute('sluice.outcome', outcome);
      if (inputTokens !== undefined) requestSpan.setAttribute('gen_ai.usage.input_tokens', inputTokens);
      if (outputTokens !== undefined) requestSpan.setAttribute('gen_ai.usage.output_tokens', outputTokens);
      if (failed) failedStatus(requestSpan, outcome);
      requestSpan.end();
    },
  };
}
