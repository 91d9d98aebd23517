import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSampleRecorder, percentile } from '../../../bench/latency-summary.ts';

describe('percentile', () => {
  it('takes the nearest rank: the smallest value with at least p% of the values at or below it', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(sorted, 50), 5);
    assert.equal(percentile(sorted, 90), 9);
    assert.equal(percentile(sorted, 99), 10);
    assert.equal(percentile(sorted, 0), 1);
    assert.equal(percentile(sorted, 100), 10);
  });

  it('is the only value of a single sample, and NaN of none', () => {
    assert.equal(percentile([7], 99), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });
});

describe('a sample recorder', () => {
  it('summarises samples in any order, past its initial capacity', () => {
    const recorder = createSampleRecorder();
    for (let value = 3000; value >= 1; value--) recorder.add(value / 10);
    assert.deepEqual(recorder.summary(), { count: 3000, p50: 150, p90: 270, p99: 297, max: 300 });
  });

  it('summarises no samples as NaN rather than zero', () => {
    const summary = createSampleRecorder().summary();
    assert.equal(summary.count, 0);
    assert.ok(Number.isNaN(summary.p50) && Number.isNaN(summary.p99) && Number.isNaN(summary.max));
  });
});
