import { z } from 'zod';

/** The `telemetry` block of the config: where spans are exported, if anywhere. */
export const telemetryConfigSchema = z.strictObject({
  /**
   * An OTLP/HTTP collector's base URL (spans go to `<url>/v1/traces` as JSON), as in the standard
   * `OTEL_EXPORTER_OTLP_ENDPOINT`, which is read when this is absent. With neither, no span is exported.
   */
  otlp_endpoint: z.url({ protocol: /^https?$/ }).optional(),
  /** The `service.name` resource attribute of exported spans. */
  service_name: z.string().min(1).default('sluice'),
});

/** A parsed `telemetry` block. */
export type TelemetryConfig = z.infer<typeof telemetryConfigSchema>;
