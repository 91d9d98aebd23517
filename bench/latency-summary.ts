/** The percentiles of a set of durations, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The nearest-rank percentile (`p` from 0 to 100) of values sorted ascending; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * Collects durations without an object per sample: a benchmark records one gap per token, hundreds of
 * thousands a run, and must not make its own garbage collector the thing it measures.
 */
export function createSampleRecorder() {
  let values = new Float64Array(1024);
  let count = 0;
  return {
    add(value: number): void {
      if (count === values.length) {
        const grown = new Float64Array(values.length * 2);
        grown.set(values);
        values = grown;
      }
      values[count++] = value;
    },
    summary(): LatencySummary {
      const sorted = values.slice(0, count).sort();
      return {
        count,
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
        max: count === 0 ? Number.NaN : sorted[count - 1]!,
      };
    },
  };
}
