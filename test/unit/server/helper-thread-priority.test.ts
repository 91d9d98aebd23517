import assert from 'node:assert/strict';
import { getPriority } from 'node:os';
import { describe, it, mock } from 'node:test';
import {
  checkEveryMs,
  findHelperThreads,
  governHelperThreadPriority,
  helperNiceFor,
  lowNice,
  normalNice,
} from '../../../src/server/helper-thread-priority.ts';

describe('helper thread priority', () => {
  it('yields while the event loop has time to spare, competes while it is saturated, and holds in between', () => {
    assert.equal(helperNiceFor(0.3, normalNice), lowNice);
    assert.equal(helperNiceFor(0.95, lowNice), normalNice);
    assert.equal(helperNiceFor(0.8, lowNice), lowNice);
    assert.equal(helperNiceFor(0.8, normalNice), normalNice);
  });

  it('finds V8 helper threads in this process, never the event loop thread', () => {
    const threads = findHelperThreads();
    assert.ok(threads.length > 0);
    assert.ok(!threads.includes(process.pid));
    // Only read here: lowering this test process's own threads would slow the other tests.
    for (const threadId of threads) assert.equal(typeof getPriority(threadId), 'number');
  });

  it('lowers the threads at once, then follows the event loop at every check until stopped', () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const calls: Array<[number, number]> = [];
      const loads = [0.95, 0.95, 0.5];
      const stop = governHelperThreadPriority({
        threads: [11, 12],
        utilization: () => loads.shift() ?? 0.5,
        setThreadPriority: (threadId, nice) => calls.push([threadId, nice]),
      });
      assert.deepEqual(calls.splice(0), [
        [11, lowNice],
        [12, lowNice],
      ]);
      mock.timers.tick(checkEveryMs);
      assert.deepEqual(calls.splice(0), [
        [11, normalNice],
        [12, normalNice],
      ]);
      // Still saturated: nothing to change.
      mock.timers.tick(checkEveryMs);
      assert.deepEqual(calls.splice(0), []);
      mock.timers.tick(checkEveryMs);
      assert.deepEqual(calls.splice(0), [
        [11, lowNice],
        [12, lowNice],
      ]);
      stop();
      loads.push(0.99);
      mock.timers.tick(50 * checkEveryMs);
      assert.deepEqual(calls, []);
    } finally {
      mock.timers.reset();
    }
  });

  it('goes on when the system refuses a change', () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const tried: number[] = [];
      const stop = governHelperThreadPriority({
        threads: [21, 22],
        utilization: () => 0.99,
        setThreadPriority: (threadId) => {
          tried.push(threadId);
          throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
        },
      });
      mock.timers.tick(checkEveryMs);
      assert.deepEqual(tried, [21, 22, 21, 22]);
      stop();
    } finally {
      mock.timers.reset();
    }
  });
});
