import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planCpuLayout } from '../../../bench/machine.ts';

describe('the CPU layout', () => {
  it('gives Sluice the first CPU and the rig the other on a two-core machine', () => {
    assert.deepEqual(planCpuLayout([0, 1]), { sluiceCpus: [0], rigCpus: [1], allCpus: [0, 1] });
  });

  it('gives the rig every other CPU on a bigger machine, whatever their numbers', () => {
    assert.deepEqual(planCpuLayout([2, 3, 5]), { sluiceCpus: [2], rigCpus: [3, 5], allCpus: [2, 3, 5] });
  });

  it('pins nothing on a single CPU', () => {
    assert.deepEqual(planCpuLayout([0]), { allCpus: [0] });
  });
});
