import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import test from 'node:test';
import { watchPackageLoads } from '../watch-package-loads.ts';

// Watched before any Sluice module is imported: each test file runs in a process of its own.
const ioredis = watchPackageLoads('ioredis');
const otlpExporter = watchPackageLoads('@opentelemetry/exporter-trace-otlp-http');
const tracingSdk = watchPackageLoads('@opentelemetry/sdk-trace');
// Only the config may ask for an exporter here, not the environment this test runs in.
delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
const { startTestSluice } = await import('../../helpers/start-test-sluice.ts');

test('a Sluice on the embedded store without telemetry loads neither ioredis nor the OTLP exporter', async () => {
  const sluice = await startTestSluice();
  try {
    const response = await fetch(`${sluice.url}/v1/models`);
    assert.equal(response.status, 200);
    assert.equal(ioredis.loaded(), false);
    assert.equal(otlpExporter.loaded(), false);
    assert.equal(tracingSdk.loaded(), false);
  } finally {
    await sluice.close();
  }
});

test('a Sluice with an OTLP endpoint loads the exporter and the tracing SDK at start', async () => {
  // Nothing listens there: no span is made, so nothing is sent.
  const sluice = await startTestSluice({ telemetry: { otlp_endpoint: 'http://127.0.0.1:1' } });
  try {
    assert.equal(otlpExporter.loaded(), true);
    assert.equal(tracingSdk.loaded(), true);
    assert.equal(ioredis.loaded(), false);
  } finally {
    await sluice.close();
  }
});

test('a Sluice on store: redis loads ioredis at start', async (t) => {
  // Not the Redis test helper: it would load ioredis itself, before Sluice does.
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `sluice-test:${randomUUID()}:`;
  const started = await startTestSluice({ store: { backend: 'redis', redis: { url, prefix } } }).catch(
    (error: Error) => error,
  );
  if (started instanceof Error) {
    // As every Redis test: skipped, saying so, only when REDIS_URL is unset and no Redis answers.
    if (process.env.REDIS_URL !== undefined || !/cannot reach Redis/.test(started.message)) throw started;
    t.skip(`no Redis at ${url} (set REDIS_URL to run the Redis tests)`);
    return;
  }
  try {
    assert.equal(ioredis.loaded(), true);
  } finally {
    await started.close();
    const { connectRedis } = await import('../../../src/store/redis/create-redis-client.ts');
    const cleaner = await connectRedis(url);
    const keys = await cleaner.keys(`${prefix}*`);
    if (keys.length > 0) await cleaner.del(...keys);
    cleaner.disconnect();
  }
});
