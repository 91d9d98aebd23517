/** What is known about a request once it has ended. */
export interface RequestSummary {
  user: string;
  plan: string;
  /** The model name the client asked for. */
  model: string;
  provider?: string;
  upstreamModel?: string;
  /** A finish reason (`stop`, `length`, `cancelled`, `quota`...) or an error code. */
  outcome: string;
  /** True when the request ended with an error event. */
  failed: boolean;
  inputTokens?: number;
  outputTokens?: number;
  ttftMs?: number;
  durationMs: number;
  /** True when the reply came from the response cache. */
  cached: boolean;
  /** Whether the response cache was asked, and what it answered. */
  cacheLookup?: 'hit' | 'miss';
}

/** Watches requests go through the pipeline (metrics, for one); must not throw or block. */
export interface RequestObserver {
  requestStarted(model: string): void;
  requestEnded(summary: RequestSummary): void;
}
