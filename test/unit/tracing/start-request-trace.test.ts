import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { startRequestTrace } from '../../../src/tracing/start-request-trace.ts';
import { parseTraceparent } from '../../../src/tracing/traceparent.ts';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const clientSpanId = '00f067aa0ba902b7';
const clientTraceparent = `00-${traceId}-${clientSpanId}-01`;
const attributes = { requestId: 'req-1', model: 'fast' };
const target = { provider: 'openai', model: 'gpt-4o-mini' };
const ended = { outcome: 'stop', failed: false, inputTokens: 9, outputTokens: 2 };

describe('startRequestTrace with no tracer provider registered', () => {
  it("sends the client's trace upstream under a new span id, with the client's flags", () => {
    for (const flags of ['00', '01']) {
      const requestTrace = startRequestTrace(`00-${traceId}-${clientSpanId}-${flags}`, attributes);
      const sent = parseTraceparent(requestTrace.startUpstream(target));
      requestTrace.end(ended);
      assert.equal(sent?.traceId, traceId);
      assert.notEqual(sent?.parentId, clientSpanId);
      assert.equal(sent?.flags, Number(flags));
    }
  });

  it('gives each upstream call a span id of its own', () => {
    const requestTrace = startRequestTrace(clientTraceparent, attributes);
    const first = parseTraceparent(requestTrace.startUpstream(target));
    const second = parseTraceparent(requestTrace.startUpstream(target));
    requestTrace.end(ended);
    assert.notEqual(first?.parentId, second?.parentId);
  });

  it('sends no traceparent when the client sent none: there is no trace to continue', () => {
    const requestTrace = startRequestTrace(undefined, attributes);
    assert.equal(requestTrace.startUpstream(target), undefined);
    requestTrace.end(ended);
  });

  it('ignores an invalid traceparent rather than failing or forwarding it', () => {
    const requestTrace = startRequestTrace(`00-${'0'.repeat(32)}-${clientSpanId}-01`, attributes);
    assert.equal(requestTrace.startUpstream(target), undefined);
    requestTrace.startHook('moderate').end(new Error('refused'));
    requestTrace.end({ outcome: 'upstream_error', failed: true });
  });
});

describe('startRequestTrace with a tracer provider registered', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  before(() => assert.ok(trace.setGlobalTracerProvider(provider)));
  after(async () => {
    await provider.shutdown();
    trace.disable();
  });
  beforeEach(() => exporter.reset());

  const spanNamed = (name: string) => {
    const span = exporter.getFinishedSpans().find((each) => each.name === name);
    assert.ok(span, `a finished ${name} span`);
    return span;
  };

  it("records sluice.request under the client's span and sluice.upstream under it, sent upstream", () => {
    const requestTrace = startRequestTrace(clientTraceparent, attributes);
    const sent = parseTraceparent(requestTrace.startUpstream(target));
    requestTrace.end(ended);

    const request = spanNamed('sluice.request');
    const upstream = spanNamed('sluice.upstream');
    assert.equal(request.spanContext().traceId, traceId);
    assert.equal(request.parentSpanContext?.spanId, clientSpanId);
    assert.equal(request.kind, SpanKind.SERVER);
    assert.equal(upstream.spanContext().traceId, traceId);
    assert.equal(upstream.parentSpanContext?.spanId, request.spanContext().spanId);
    assert.equal(upstream.kind, SpanKind.CLIENT);
    assert.deepEqual(sent, { traceId, parentId: upstream.spanContext().spanId, flags: 1 });
    assert.deepEqual(request.attributes, {
      'sluice.request_id': 'req-1',
      'sluice.model': 'fast',
      'sluice.outcome': 'stop',
      'gen_ai.usage.input_tokens': 9,
      'gen_ai.usage.output_tokens': 2,
    });
    assert.deepEqual(upstream.attributes, {
      'sluice.provider': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
    });
    assert.equal(request.status.code, SpanStatusCode.UNSET);
  });

  it("keeps a client's long model name out of the span, bounded like a log line", () => {
    const requestTrace = startRequestTrace(undefined, { requestId: 'req-2', model: 'm'.repeat(1_048_576) });
    requestTrace.end(ended);
    const model = String(spanNamed('sluice.request').attributes['sluice.model']);
    assert.ok(model.length < 300, `${model.length} characters`);
    assert.ok(model.startsWith('mmm'));
  });

  it('starts a new trace when the client sent none, and sends it upstream', () => {
    const requestTrace = startRequestTrace(undefined, attributes);
    const sent = parseTraceparent(requestTrace.startUpstream(target));
    requestTrace.end(ended);
    const request = spanNamed('sluice.request');
    const upstream = spanNamed('sluice.upstream');
    assert.equal(request.parentSpanContext, undefined);
    assert.equal(sent?.traceId, request.spanContext().traceId);
    assert.equal(sent?.parentId, upstream.spanContext().spanId);
  });

  it('marks the request and upstream spans as failed with the error code', () => {
    const requestTrace = startRequestTrace(clientTraceparent, attributes);
    requestTrace.startUpstream(target);
    requestTrace.end({ outcome: 'upstream_timeout', failed: true });
    for (const name of ['sluice.request', 'sluice.upstream']) {
      assert.deepEqual(spanNamed(name).status, { code: SpanStatusCode.ERROR, message: 'upstream_timeout' });
    }
  });

  it('ends a failed try as failed when routing tries again, each try its own span', () => {
    const requestTrace = startRequestTrace(clientTraceparent, attributes);
    const first = parseTraceparent(requestTrace.startUpstream(target));
    const second = parseTraceparent(requestTrace.startUpstream({ provider: 'backup', model: 'other' }));
    requestTrace.end(ended);
    const tries = exporter.getFinishedSpans().filter((span) => span.name === 'sluice.upstream');
    assert.deepEqual(
      tries.map((span) => [span.spanContext().spanId, span.attributes['sluice.provider'], span.status.code]),
      [
        [first?.parentId, 'openai', SpanStatusCode.ERROR],
        [second?.parentId, 'backup', SpanStatusCode.UNSET],
      ],
    );
  });

  it('records hook spans under the request, failed when the hook threw', () => {
    const requestTrace = startRequestTrace(clientTraceparent, attributes);
    requestTrace.startHook('redact').end();
    requestTrace.startHook('moderate').end(new Error('flagged'));
    requestTrace.end(ended);
    const request = spanNamed('sluice.request');
    const hooks = exporter.getFinishedSpans().filter((span) => span.name === 'sluice.hook');
    assert.deepEqual(
      hooks.map((span) => [span.attributes['sluice.hook.name'], span.status.code]),
      [
        ['redact', SpanStatusCode.UNSET],
        ['moderate', SpanStatusCode.ERROR],
      ],
    );
    for (const hook of hooks) assert.equal(hook.parentSpanContext?.spanId, request.spanContext().spanId);
    assert.equal(hooks[1]?.events[0]?.name, 'exception');
  });

  it("respects a client's unsampled flag: no span is exported, and the upstream still gets the trace", () => {
    const requestTrace = startRequestTrace(`00-${traceId}-${clientSpanId}-00`, attributes);
    const sent = parseTraceparent(requestTrace.startUpstream(target));
    requestTrace.end(ended);
    assert.equal(exporter.getFinishedSpans().length, 0);
    assert.equal(sent?.traceId, traceId);
    assert.notEqual(sent?.parentId, clientSpanId);
    assert.equal(sent?.flags, 0);
  });
});
