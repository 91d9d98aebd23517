import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { pino } from 'pino';
import { startTracing } from '../../../src/tracing/start-tracing.ts';

/** A logger whose lines a test can read. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  return { log: pino({ level: 'debug' }, destination), lines };
}

const spansRecord = () => trace.getTracer('test').startSpan('probe').isRecording();
const settings = { service_name: 'sluice' };

describe('startTracing', () => {
  afterEach(() => trace.disable());

  it('sets nothing up when neither the config nor the environment names a collector', async () => {
    const { log, lines } = capturingLogger();
    const tracing = await startTracing(settings, log, {});
    assert.equal(spansRecord(), false);
    await tracing.shutdown();
    assert.deepEqual(lines, []);
  });

  it('registers a tracer provider for a configured endpoint, and unregisters it on shutdown', async () => {
    const { log, lines } = capturingLogger();
    const tracing = await startTracing({ ...settings, otlp_endpoint: 'http://127.0.0.1:4318' }, log, {});
    assert.equal(spansRecord(), true);
    assert.equal(lines[0]?.otlp_traces, 'http://127.0.0.1:4318');
    await tracing.shutdown();
    assert.equal(spansRecord(), false);
  });

  it('logs an environment endpoint that is not a URL, and exports nothing rather than fail to start', async () => {
    const { log, lines } = capturingLogger();
    await startTracing(settings, log, { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' });
    assert.equal(spansRecord(), false);
    assert.equal(lines[0]?.level, 50);
    assert.match(String(lines[0]?.msg), /not a URL/);
  });

  it('leaves a tracer provider already registered in the process in place, with a warning', async () => {
    const existing = new TracerProvider();
    trace.setGlobalTracerProvider(existing);
    const { log, lines } = capturingLogger();
    const tracing = await startTracing({ ...settings, otlp_endpoint: 'http://127.0.0.1:4318' }, log, {});
    assert.match(String(lines[0]?.msg), /already registered/);
    await tracing.shutdown();
    assert.equal(spansRecord(), true, 'the first provider still records');
    await existing.shutdown();
  });
});
