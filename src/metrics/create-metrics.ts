import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestObserver, RequestSummary } from '../spec/request-observer.ts';

/** What the metrics read from the rest of Sluice. */
export interface MetricsOptions {
  /** The WebSocket door's open client connections, read at each scrape. */
  openConnections(): number;
  /** Whether `model` is a configured model name; others (a client may send anything) share one label value. */
  isKnownModel(model: string): boolean;
}

/** One Sluice's Prometheus metrics. */
export interface Metrics {
  /** Counts every request of both doors as it starts and ends. */
  observer: RequestObserver;
  /**
   * Counts one response-cache lookup (`sluice_cache_lookups_total{result="hit"|"miss"}`); the cache
   * step calls it once per request it looks up, and never for a request that bypasses the cache.
   */
  recordCacheLookup(hit: boolean): void;
  /** The content type of `render()`'s text: Prometheus text format 0.0.4. */
  contentType: string;
  /** The current values of every metric, in the Prometheus text format. */
  render(): Promise<string>;
}

/** Time to first token: from a fast local model's 5 ms to a slow reasoning model's 30 s. */
const timeToFirstTokenBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Whole requests: from a refused or cached one's 50 ms to a long generation's 10 minutes. */
const durationBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];

/** The label value of model names no route has, so that made-up names cannot grow the series. */
export const unknownModelLabel = '(unknown)';

/** Outcomes that mean the provider failed, rather than the client or Sluice. */
const upstreamErrorCodes = new Set(['upstream_error', 'upstream_timeout', 'unavailable']);
/** Outcomes that mean the user's plan refused the request. */
const quotaRefusalCodes = new Set(['quota_exceeded', 'rate_limited']);

/**
 * Creates the metrics of one Sluice in a registry of its own (not prom-client's global one, so that
 * several Sluices can run in one process), with Node's default process metrics.
 */
export function createMetrics({ openConnections, isKnownModel }: MetricsOptions): Metrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'sluice_open_connections',
    help: 'Open WebSocket client connections.',
    registers,
    collect() {
      this.set(openConnections());
    },
  });
  const inFlight = new Gauge({
    name: 'sluice_requests_in_flight',
    help: 'Chat requests running now, on either door.',
    registers,
  });
  const requests = new Counter({
    name: 'sluice_requests_total',
    help: 'Chat requests that ended, by model asked for, provider and outcome (a finish reason or an error code).',
    labelNames: ['model', 'provider', 'outcome'] as const,
    registers,
  });
  const tokens = new Counter({
    name: 'sluice_tokens_total',
    help: 'Tokens of ended requests, as reported by the provider or counted by Sluice; type is input or output.',
    labelNames: ['model', 'provider', 'type'] as const,
    registers,
  });
  const timeToFirstToken = new Histogram({
    name: 'sluice_time_to_first_token_seconds',
    help: 'Time from a request reaching the pipeline to its first output, for requests that produced output.',
    labelNames: ['model', 'provider'] as const,
    buckets: timeToFirstTokenBuckets,
    registers,
  });
  const duration = new Histogram({
    name: 'sluice_request_duration_seconds',
    help: 'Time from a request reaching the pipeline to its end, for every request.',
    labelNames: ['model', 'provider'] as const,
    buckets: durationBuckets,
    registers,
  });
  const upstreamErrors = new Counter({
    name: 'sluice_upstream_errors_total',
    help: 'Requests that failed because of the provider, by error code.',
    labelNames: ['provider', 'code'] as const,
    registers,
  });
  const quotaRefusals = new Counter({
    name: 'sluice_quota_refusals_total',
    help: "Requests refused by the user's plan: quota_exceeded or rate_limited.",
    labelNames: ['plan', 'code'] as const,
    registers,
  });
  const cacheLookups = new Counter({
    name: 'sluice_cache_lookups_total',
    help: 'Response cache lookups, by result (hit or miss).',
    labelNames: ['result'] as const,
    registers,
  });
  cacheLookups.inc({ result: 'hit' }, 0);
  cacheLookups.inc({ result: 'miss' }, 0);

  const requestEnded = (summary: RequestSummary) => {
    inFlight.dec();
    const model = isKnownModel(summary.model) ? summary.model : unknownModelLabel;
    const provider = summary.provider ?? '';
    requests.inc({ model, provider, outcome: summary.outcome });
    if (summary.inputTokens !== undefined)
      tokens.inc({ model, provider, type: 'input' }, summary.inputTokens);
    if (summary.outputTokens !== undefined)
      tokens.inc({ model, provider, type: 'output' }, summary.outputTokens);
    if (summary.ttftMs !== undefined) timeToFirstToken.observe({ model, provider }, summary.ttftMs / 1000);
    duration.observe({ model, provider }, summary.durationMs / 1000);
    if (summary.cacheLookup) cacheLookups.inc({ result: summary.cacheLookup });
    if (summary.failed && upstreamErrorCodes.has(summary.outcome))
      upstreamErrors.inc({ provider, code: summary.outcome });
    if (summary.failed && quotaRefusalCodes.has(summary.outcome))
      quotaRefusals.inc({ plan: summary.plan, code: summary.outcome });
  };

  return {
    observer: { requestStarted: () => inFlight.inc(), requestEnded },
    recordCacheLookup: (hit) => cacheLookups.inc({ result: hit ? 'hit' : 'miss' }),
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}
