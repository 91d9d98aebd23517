import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  busyShare,
  parseCpuList,
  parseCpuTicks,
  parseProcessCpuTicks,
  parseStatusBytes,
} from '../../../bench/process-stats.ts';

describe('reading /proc', () => {
  it('adds user and system ticks from /proc/<pid>/stat, even when the command name holds spaces and parentheses', () => {
    const stat =
      '4242 (node (my) app) S 1 4242 4242 0 -1 4194304 12345 0 0 0 731 268 0 0 20 0 11 0 1000 1234567 5000 18446744073709551615';
    assert.equal(parseProcessCpuTicks(stat), 731 + 268);
  });

  it('refuses a stat line it cannot read instead of reporting zero', () => {
    assert.throws(() => parseProcessCpuTicks('garbage'), /unreadable/);
  });

  it('reads kB fields of /proc/<pid>/status as bytes', () => {
    const status = 'Name:\tnode\nVmHWM:\t  209840 kB\nVmRSS:\t  101376 kB\nThreads:\t11\n';
    assert.equal(parseStatusBytes(status, 'VmHWM'), 209_840 * 1024);
    assert.equal(parseStatusBytes(status, 'VmRSS'), 101_376 * 1024);
    assert.throws(() => parseStatusBytes(status, 'VmSwap'), /no VmSwap/);
  });

  it('counts idle and iowait as not busy, per CPU, and leaves out the all-CPU line', () => {
    const procStat = [
      'cpu  300 0 100 900 100 0 0 0 0 0',
      'cpu0 100 10 50 800 40 5 5 0 0 0',
      'cpu1 200 0 50 100 60 0 0 0 0 0',
      'intr 12345',
    ].join('\n');
    const cpus = parseCpuTicks(procStat);
    assert.deepEqual([...cpus.keys()], [0, 1]);
    assert.deepEqual(cpus.get(0), { busy: 170, total: 1010 });
    assert.deepEqual(cpus.get(1), { busy: 250, total: 410 });
  });

  it('gives the busy share between two readings', () => {
    assert.equal(busyShare({ busy: 100, total: 1000 }, { busy: 190, total: 1100 }), 0.9);
    assert.equal(busyShare({ busy: 5, total: 10 }, { busy: 5, total: 10 }), 0);
  });

  it('expands a CPU list with ranges', () => {
    assert.deepEqual(parseCpuList('0-1'), [0, 1]);
    assert.deepEqual(parseCpuList('0,2-4,7\n'), [0, 2, 3, 4, 7]);
  });
});
