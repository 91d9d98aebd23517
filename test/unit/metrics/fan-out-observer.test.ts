import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fanOutObserver } from '../../../src/metrics/fan-out-observer.ts';
import type { RequestObserver, RequestSummary } from '../../../src/spec/request-observer.ts';

it('tells every observer, in order, of each start and end', () => {
  const seen: string[] = [];
  const recorder = (name: string): RequestObserver => ({
    requestStarted: (model) => seen.push(`${name} started ${model}`),
    requestEnded: (summary) => seen.push(`${name} ended ${summary.outcome}`),
  });
  const observer = fanOutObserver([recorder('a'), recorder('b')]);
  observer.requestStarted('fast');
  observer.requestEnded({ outcome: 'stop' } as RequestSummary);
  assert.deepEqual(seen, ['a started fast', 'b started fast', 'a ended stop', 'b ended stop']);
});
