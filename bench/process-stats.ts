import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Reads a process's cost from `/proc`, so the rig measures Sluice from the outside and its own work
 * is never counted. Parsers take the file's text (testable); readers take a pid.
 */

/** CPU time a process has used, user plus system, in clock ticks (`/proc/<pid>/stat` fields 14 and 15). */
export function parseProcessCpuTicks(statText: string): number {
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  const afterName = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  // afterName[0] is field 3 (state), so field n is afterName[n - 3].
  const userTicks = Number(afterName[11]);
  const systemTicks = Number(afterName[12]);
  if (!Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) {
    throw new Error(`unreadable /proc/<pid>/stat: ${statText.slice(0, 80)}`);
  }
  return userTicks + systemTicks;
}

/** A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`...), in bytes. */
export function parseStatusBytes(statusText: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(statusText);
  if (!match) throw new Error(`no ${field} in /proc/<pid>/status`);
  return Number(match[1]) * 1024;
}

/** Busy and total clock ticks of one CPU since boot. */
export interface CpuTicks {
  busy: number;
  total: number;
}

/** Every CPU's ticks from `/proc/stat`, by CPU number; idle and iowait count as not busy. */
export function parseCpuTicks(procStatText: string): Map<number, CpuTicks> {
  const cpus = new Map<number, CpuTicks>();
  for (const line of procStatText.split('\n')) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    // user nice system idle iowait irq softirq steal [guest guest_nice, already inside user and nice]
    const fields = match[2]!.trim().split(/\s+/).slice(0, 8).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    cpus.set(Number(match[1]), { busy: total - idle, total });
  }
  return cpus;
}

/** The share (0 to 1) of a CPU's time that was busy between two readings. */
export function busyShare(before: CpuTicks, after: CpuTicks): number {
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}

/** The CPU numbers in a list such as `0-3,6` (`Cpus_allowed_list` of `/proc/<pid>/status`). */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const range of list.trim().split(',')) {
    const [first, last = first] = range.split('-').map(Number);
    if (first === undefined || last === undefined || !Number.isInteger(first)) continue;
    for (let cpu = first; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** CPU seconds a process has used so far. */
export function readProcessCpuSeconds(pid: number, ticksPerSecond: number): number {
  return parseProcessCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / ticksPerSecond;
}

/** A process's resident memory now, and its peak since start or since `resetPeakRss`, in bytes. */
export function readProcessMemory(pid: number): { rssBytes: number; peakRssBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssBytes: parseStatusBytes(status, 'VmRSS'), peakRssBytes: parseStatusBytes(status, 'VmHWM') };
}

/**
 * Sets a process's peak RSS (`VmHWM`) back to its current RSS (Linux 4.0+, `clear_refs` value 5), so
 * each scenario reports its own peak; false where the kernel or the container does not allow it.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Every CPU's ticks now. */
export function readCpuTicks(): Map<number, CpuTicks> {
  return parseCpuTicks(readFileSync('/proc/stat', 'utf8'));
}

/** The CPUs this process may run on. */
export function readAllowedCpus(): number[] {
  const match = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? parseCpuList(match[1]!) : [];
}
