import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { startRequestTrace } from '../../../src/tracing/start-request-trace.ts';
import { startTracing } from '../../../src/tracing/start-tracing.ts';
import { parseTraceparent } from '../../../src/tracing/traceparent.ts';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { startTestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';
import { type ExportedSpan, type FakeOtlpCollector, startFakeOtlpCollector } from './fake-otlp-collector.ts';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const clientSpanId = '00f067aa0ba902b7';
const messages = [{ role: 'user', content: 'Hi' }];
// OTLP span kinds are the protobuf enum: the API's value plus one.
const serverKind = 2;
const clientKind = 3;

function only(spans: ExportedSpan[], name: string): ExportedSpan {
  const matching = spans.filter((span) => span.name === name);
  assert.equal(matching.length, 1, `exactly one ${name} span`);
  return matching[0]!;
}

describe('span export over OTLP/HTTP', () => {
  let upstream: FakeOpenAiServer;
  let collector: FakeOtlpCollector;
  before(async () => {
    upstream = await startFakeOpenAiServer({ script: { deltas: [{ content: 'Hello' }] } });
  });
  after(() => upstream.close());

  const startSluice = () =>
    startTestSluice({
      providers: { compatible: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { compatible: { target: { provider: 'compatible', model: 'gpt-4o-mini' } } },
      telemetry: { otlp_endpoint: collector.url, service_name: 'sluice-under-test' },
    });

  it("exports sluice.request under the client's span and sluice.upstream under it, as sent upstream", async () => {
    collector = await startFakeOtlpCollector();
    try {
      const sluice = await startSluice();
      try {
        const client = await connectTestClient(sluice.wsUrl);
        const traceparent = `00-${traceId}-${clientSpanId}-01`;
        client.send({ type: 'chat', id: 'c1', model: 'compatible', messages, metadata: { traceparent } });
        assert.equal((await client.collect('c1')).at(-1)?.type, 'done');
        await client.close();
      } finally {
        // Closing flushes the spans still waiting in the batch.
        await sluice.close();
      }
      const spans = collector.spans();
      const request = only(spans, 'sluice.request');
      const upstreamSpan = only(spans, 'sluice.upstream');
      assert.equal(request.serviceName, 'sluice-under-test');
      assert.equal(request.traceId, traceId);
      assert.equal(request.parentSpanId, clientSpanId);
      assert.equal(request.kind, serverKind);
      assert.equal(request.attributes['sluice.model'], 'compatible');
      assert.equal(request.attributes['sluice.outcome'], 'stop');
      assert.equal(request.attributes['gen_ai.usage.output_tokens'], 1);
      assert.equal(upstreamSpan.traceId, traceId);
      assert.equal(upstreamSpan.parentSpanId, request.spanId);
      assert.equal(upstreamSpan.kind, clientKind);
      assert.equal(upstreamSpan.attributes['gen_ai.request.model'], 'gpt-4o-mini');
      assert.deepEqual(parseTraceparent(upstream.chatRequests().at(-1)?.headers.traceparent), {
        traceId,
        parentId: upstreamSpan.spanId,
        flags: 1,
      });
    } finally {
      await collector.close();
    }
  });

  it('starts a new trace for a request that came without one, and sends it upstream', async () => {
    collector = await startFakeOtlpCollector();
    try {
      const sluice = await startSluice();
      try {
        const client = await connectTestClient(sluice.wsUrl);
        client.send({ type: 'chat', id: 'c2', model: 'compatible', messages });
        assert.equal((await client.collect('c2')).at(-1)?.type, 'done');
        await client.close();
      } finally {
        await sluice.close();
      }
      const spans = collector.spans();
      const request = only(spans, 'sluice.request');
      const upstreamSpan = only(spans, 'sluice.upstream');
      assert.equal(request.parentSpanId, undefined);
      assert.match(request.traceId, /^[0-9a-f]{32}$/);
      const sent = parseTraceparent(upstream.chatRequests().at(-1)?.headers.traceparent);
      assert.equal(sent?.traceId, request.traceId);
      assert.equal(sent?.parentId, upstreamSpan.spanId);
    } finally {
      await collector.close();
    }
  });

  it('exports to the collector named by OTEL_EXPORTER_OTLP_ENDPOINT when the config names none', async () => {
    collector = await startFakeOtlpCollector();
    try {
      const tracing = await startTracing({ service_name: 'from-env' }, pino({ level: 'silent' }), {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      });
      const requestTrace = startRequestTrace(undefined, { requestId: 'r1', model: 'demo' });
      requestTrace.end({ outcome: 'stop', failed: false });
      await tracing.shutdown();
      const request = only(collector.spans(), 'sluice.request');
      assert.equal(request.serviceName, 'from-env');
    } finally {
      await collector.close();
    }
  });
});
