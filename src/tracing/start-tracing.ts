import { trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { TelemetryConfig } from './telemetry-config-schema.ts';

/** Span export for one running Sluice. */
export interface Tracing {
  /** Exports the spans still buffered and unregisters the tracer provider (nothing, when not exporting). */
  shutdown(): Promise<void>;
}

/**
 * The traces URL: the config's endpoint, else the standard variables'. A base endpoint gets
 * `v1/traces` appended, as the OpenTelemetry spec says; the signal-specific variable is used as is.
 */
function tracesUrlFrom(settings: TelemetryConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (settings.otlp_endpoint === undefined && env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
    return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = settings.otlp_endpoint ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!base) return undefined;
  return base.endsWith('/') ? `${base}v1/traces` : `${base}/v1/traces`;
}

const notExporting: Tracing = { async shutdown() {} };

/**
 * Registers an OpenTelemetry tracer provider that exports spans to an OTLP/HTTP collector, when one
 * is configured (`telemetry.otlp_endpoint`, else the standard `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_ENDPOINT`). Otherwise nothing is set up, and every span is a free no-op.
 */
export async function startTracing(
  settings: TelemetryConfig,
  log: Logger,
  env = process.env,
): Promise<Tracing> {
  const url = tracesUrlFrom(settings, env);
  if (url === undefined) return notExporting;
  if (!URL.canParse(url)) {
    // Only the environment can get here: the config's endpoint was validated as a URL.
    log.error('the OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT variable is not a URL; no spans are exported');
    return notExporting;
  }
  // Imported only when exporting: the SDK and the OTLP exporter add ~24 MiB to a process.
  const [
    { OTLPTraceExporter },
    { defaultResource, resourceFromAttributes },
    { BatchSpanProcessor, TracerProvider },
  ] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
  ]);
  const provider = new TracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': settings.service_name })),
    // The exporter still reads OTEL_EXPORTER_OTLP_HEADERS and the other standard variables itself.
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) })],
  });
  if (!trace.setGlobalTracerProvider(provider)) {
    // The API has one global provider per process; a second Sluice in the same process shares the first's.
    log.warn('a tracer provider is already registered in this process; spans go to it');
    void provider.shutdown();
    return notExporting;
  }
  // The origin only: a URL may carry credentials in its user info or query.
  log.info({ otlp_traces: new URL(url).origin }, 'exporting traces');
  return {
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (error) {
        log.warn({ err: error }, 'exporting the last spans failed');
      } finally {
        trace.disable();
      }
    },
  };
}
