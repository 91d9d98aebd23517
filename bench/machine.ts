import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { release, totalmem } from 'node:os';
import { readAllowedCpus } from './process-stats.ts';

/** Where Sluice and the rig run: one core for Sluice, the others for the rig, where there are two. */
export interface CpuLayout {
  /** Undefined when there is only one CPU: then nothing is pinned and the figures are shared. */
  sluiceCpus?: number[];
  rigCpus?: number[];
  allCpus: number[];
}

/** Splits the CPUs this process may use: the first for Sluice, the rest for the rig. */
export function planCpuLayout(allowed: number[]): CpuLayout {
  if (allowed.length < 2) return { allCpus: allowed };
  return { sluiceCpus: allowed.slice(0, 1), rigCpus: allowed.slice(1), allCpus: allowed };
}

/** Reads the CPU layout of this machine. */
export function readCpuLayout(): CpuLayout {
  return planCpuLayout(readAllowedCpus());
}

/** Clock ticks per second of `/proc` CPU times (`USER_HZ`, 100 on every mainstream Linux). */
export function readTicksPerSecond(): number {
  return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
}

/** Moves this process (every thread of it) onto `cpus`, so the rig's own work stays off Sluice's core. */
export function pinThisProcess(cpus: number[]): void {
  execFileSync('taskset', ['-a', '-c', '-p', cpus.join(','), String(process.pid)], { stdio: 'ignore' });
}

/** The machine the figures come from, in one line. */
export function describeMachine(layout: CpuLayout): string {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const memory = (totalmem() / 1024 ** 3).toFixed(1);
  return `${layout.allCpus.length} CPUs (${model}), ${memory} GiB RAM, Linux ${release()}, Node ${process.version}`;
}
