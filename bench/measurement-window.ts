import type { CpuLayout } from './machine.ts';
import {
  busyShare,
  type CpuTicks,
  readCpuTicks,
  readProcessCpuSeconds,
  readProcessMemory,
  resetPeakRss,
} from './process-stats.ts';
import type { SluiceCost } from './report.ts';

/** What Sluice and the machine's cores did between the start and the end of a run. */
export interface WindowMeasurement {
  sluice: SluiceCost;
  /** The busiest rig core's busy share. */
  rigBusy: number;
}

const rssSampleMs = 100;

function busiest(before: Map<number, CpuTicks>, after: Map<number, CpuTicks>, cpus: number[]): number {
  let most = 0;
  for (const cpu of cpus) {
    const first = before.get(cpu);
    const last = after.get(cpu);
    if (first && last) most = Math.max(most, busyShare(first, last));
  }
  return most;
}

/**
 * Starts measuring Sluice's process (CPU seconds, peak RSS) and the cores from `/proc`. Peak RSS is
 * the kernel's own high-water mark, reset at the start where allowed, else the highest RSS sampled.
 */
export function startMeasurementWindow(sluicePid: number, ticksPerSecond: number, layout: CpuLayout) {
  const peakWasReset = resetPeakRss(sluicePid);
  const cpuSecondsBefore = readProcessCpuSeconds(sluicePid, ticksPerSecond);
  const ticksBefore = readCpuTicks();
  let sampledPeak = readProcessMemory(sluicePid).rssBytes;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, readProcessMemory(sluicePid).rssBytes);
  }, rssSampleMs);

  return {
    finish(): WindowMeasurement {
      clearInterval(sampler);
      const ticksAfter = readCpuTicks();
      const memory = readProcessMemory(sluicePid);
      const sluiceCpus = layout.sluiceCpus ?? layout.allCpus;
      return {
        sluice: {
          cpuSeconds: readProcessCpuSeconds(sluicePid, ticksPerSecond) - cpuSecondsBefore,
          peakRssBytes: peakWasReset ? memory.peakRssBytes : Math.max(sampledPeak, memory.rssBytes),
          coreBusy: busiest(ticksBefore, ticksAfter, sluiceCpus),
        },
        rigBusy: busiest(ticksBefore, ticksAfter, layout.rigCpus ?? layout.allCpus),
      };
    },
  };
}
