import type { CpuLayout } from './machine.ts';
import {
  busyShare,
  type CpuTicks,
  readCpuTicks,
  readProcessCpuSeconds,
  readProcessMemory,
  resetPeakRss,
} from './process-stats.ts';
import type { RelayCost } from './report.ts';

/** What the relay (Sluice or nginx) and the machine's cores did between the start and the end of a run. */
export interface WindowMeasurement {
  relay: RelayCost;
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
 * Starts measuring the relay's process (CPU seconds, peak RSS) and the cores from `/proc`. Peak RSS is
 * the kernel's own high-water mark, reset at the start where allowed, else the highest RSS sampled.
 */
export function startMeasurementWindow(relayPid: number, ticksPerSecond: number, layout: CpuLayout) {
  const peakWasReset = resetPeakRss(relayPid);
  const cpuSecondsBefore = readProcessCpuSeconds(relayPid, ticksPerSecond);
  const ticksBefore = readCpuTicks();
  let sampledPeak = readProcessMemory(relayPid).rssBytes;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, readProcessMemory(relayPid).rssBytes);
  }, rssSampleMs);

  return {
    finish(): WindowMeasurement {
      clearInterval(sampler);
      const ticksAfter = readCpuTicks();
      const memory = readProcessMemory(relayPid);
      const sluiceCpus = layout.sluiceCpus ?? layout.allCpus;
      return {
        relay: {
          cpuSeconds: readProcessCpuSeconds(relayPid, ticksPerSecond) - cpuSecondsBefore,
          peakRssBytes: peakWasReset ? memory.peakRssBytes : Math.max(sampledPeak, memory.rssBytes),
          coreBusy: busiest(ticksBefore, ticksAfter, sluiceCpus),
        },
        rigBusy: busiest(ticksBefore, ticksAfter, layout.rigCpus ?? layout.allCpus),
      };
    },
  };
}
