import { createSampleRecorder, type LatencySummary } from './latency-summary.ts';

/** What a load run measured, from the client's side. */
export interface StreamResult {
  requests: number;
  completed: number;
  errors: number;
  /** A few error messages, to say why without flooding the report. */
  errorSamples: string[];
  /** Output tokens as the usage of each finished reply reports them. */
  tokens: number;
  /** Frames (WebSocket `delta`s or SSE chunks) that carried output. */
  frames: number;
  /** From sending a request to its first output. */
  ttft: LatencySummary;
  /** Between two outputs of the same request. */
  gap: LatencySummary;
  elapsedMs: number;
}

/** One request's measuring hooks; its client calls them as the reply arrives. */
export interface RequestTracker {
  /** A frame with output arrived. */
  output(): void;
  /** The reply ended normally, reporting this many output tokens. */
  finished(outputTokens: number): void;
  /** The request failed; a request settles once, so later calls are ignored. */
  failed(message: string): void;
  /** Resolves once the request finished or failed. */
  settled: Promise<void>;
}

const keptErrorSamples = 5;

/** Collects time to first token, gaps and counts over every request of a run. */
export function createStreamMeasurements() {
  const ttft = createSampleRecorder();
  const gap = createSampleRecorder();
  const errorSamples: string[] = [];
  let requests = 0;
  let completed = 0;
  let errors = 0;
  let tokens = 0;
  let frames = 0;
  const noteError = (message: string) => {
    errors++;
    if (errorSamples.length < keptErrorSamples && !errorSamples.includes(message)) errorSamples.push(message);
  };

  return {
    /** Starts timing a request that is about to be sent. */
    startRequest(): RequestTracker {
      requests++;
      const sentAt = performance.now();
      let lastOutputAt: number | undefined;
      let done = false;
      let resolve!: () => void;
      const settled = new Promise<void>((settle) => {
        resolve = settle;
      });
      return {
        settled,
        output() {
          const now = performance.now();
          frames++;
          if (lastOutputAt === undefined) ttft.add(now - sentAt);
          else gap.add(now - lastOutputAt);
          lastOutputAt = now;
        },
        finished(outputTokens) {
          if (done) return;
          done = true;
          completed++;
          tokens += outputTokens;
          resolve();
        },
        failed(message) {
          if (done) return;
          done = true;
          noteError(message);
          resolve();
        },
      };
    },
    /** Counts a failure that belongs to no request (a connection that could not open). */
    connectionFailed: noteError,
    result(elapsedMs: number): StreamResult {
      return {
        requests,
        completed,
        errors,
        errorSamples,
        tokens,
        frames,
        ttft: ttft.summary(),
        gap: gap.summary(),
        elapsedMs,
      };
    },
  };
}

/** A run's measurements, shared by its requests. */
export type StreamMeasurements = ReturnType<typeof createStreamMeasurements>;
