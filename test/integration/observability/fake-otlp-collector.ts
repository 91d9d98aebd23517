import { type FakeHttpServer, startFakeHttpServer } from '../../fakes/fake-http-server.ts';

/** One span as an OTLP/HTTP JSON export carries it (ids in hex), with its resource's service name. */
export interface ExportedSpan {
  serviceName: string | undefined;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  kind: number;
  status: { code?: number; message?: string };
  attributes: Record<string, unknown>;
}

/** A fake OpenTelemetry collector: takes OTLP/HTTP JSON exports at `POST /v1/traces`. */
export interface FakeOtlpCollector extends FakeHttpServer {
  /** Every span received so far, in order. */
  spans(): ExportedSpan[];
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{
      spans?: Array<{
        name: string;
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        kind: number;
        status?: { code?: number; message?: string };
        attributes?: OtlpAttribute[];
      }>;
    }>;
  }>;
}

function attributeValues(attributes: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(
    attributes.map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue === undefined ? undefined : Number(value.intValue)) ??
        value.boolValue ??
        value.doubleValue,
    ]),
  );
}

/** Starts a fake collector on a loopback port; its `url` is the base URL an exporter is given. */
export async function startFakeOtlpCollector(): Promise<FakeOtlpCollector> {
  const server = await startFakeHttpServer((request, response) => {
    const accepted = request.method === 'POST' && request.url === '/v1/traces';
    response.writeHead(accepted ? 200 : 404, { 'content-type': 'application/json' });
    response.end('{}');
  });
  return {
    ...server,
    spans: () =>
      server.requests
        .filter((request) => request.url === '/v1/traces')
        .flatMap((request) =>
          ((request.json as OtlpExport).resourceSpans ?? []).flatMap((resourceSpans) => {
            const serviceName = attributeValues(resourceSpans.resource?.attributes)['service.name'];
            return (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
              (scopeSpans.spans ?? []).map((span) => ({
                serviceName: typeof serviceName === 'string' ? serviceName : undefined,
                name: span.name,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId || undefined,
                kind: span.kind,
                status: span.status ?? {},
                attributes: attributeValues(span.attributes),
              })),
            );
          }),
        ),
  };
}
