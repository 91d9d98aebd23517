import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';

/** The lowest priority: a helper thread runs when the event loop's thread has nothing to run. */
export const lowNice = 19;
/** The priority every thread starts with. */
export const normalNice = 0;

/** Above this share of busy time the event loop is saturated: the helpers get their priority back. */
const saturatedAbove = 0.85;
/** Below this share they yield again (a band, so that a load near the limit does not flip them at every check). */
const relaxedBelow = 0.7;
/** Often enough that a load arriving at once gets the helpers back before the heap has grown much. */
export const checkEveryMs = 100;

/**
 * The names of V8's platform threads: its workers and delayed-task scheduler (`node` on Node 22, where
 * the event loop's thread has that name too). Every other thread keeps its priority: libuv's pool
 * (file reads, DNS lookups and crypto that requests wait on), the inspector's, and the CPU profiler's
 * sampler, whose samples would otherwise be late.
 */
const helperThreadNames = new Set(['V8Worker', 'DelayedTaskSche', 'node']);

/**
 * The priority the helper threads should have, given how busy the event loop was (0-1) and the
 * priority they have now.
 */
export function helperNiceFor(utilization: number, current: number): number {
  if (utilization > saturatedAbove) return normalNice;
  if (utilization < relaxedBelow) return lowNice;
  return current;
}

/**
 * The process's helper threads, by thread id: V8's workers (which mark and sweep the heap
 * concurrently and compile in the background) and its task scheduler, by name; not the event loop's
 * thread, nor any other. Linux only (`/proc/self/task`); elsewhere none.
 */
export function findHelperThreads(): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return [];
  }
  const helpers: number[] = [];
  for (const task of tasks) {
    const threadId = Number(task);
    if (threadId === process.pid) continue;
    try {
      if (helperThreadNames.has(readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim()))
        helpers.push(threadId);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return helpers;
}

export interface HelperPriorityOptions {
  threads?: number[];
  /** How busy the event loop was since the previous call, 0-1. */
  utilization?: () => number;
  setThreadPriority?: (threadId: number, nice: number) => void;
}

/**
 * Runs the helper threads below the event loop's priority while the event loop has time to spare,
 * and at the normal priority while it is saturated; checks ten times a second. Returns a stop function.
 *
 * Why: where Sluice has fewer cores than V8 has workers (one core, as in a small container or the
 * benchmark), concurrent marking takes the core from the event loop for tens of milliseconds every
 * few seconds, and every request waiting then sees it in its time to first token. At the lowest
 * priority the workers use the time the event loop leaves idle; where cores are spare they run as
 * before. But a saturated event loop leaves them no time: marking would never finish and the heap
 * would grow, so then they compete as usual.
 *
 * Threads started later (libuv's pool) inherit the priority of the thread that starts them, the
 * event loop's.
 */
export function governHelperThreadPriority(options: HelperPriorityOptions = {}): () => void {
  const threads = options.threads ?? findHelperThreads();
  if (threads.length === 0) return () => {};
  const utilization = options.utilization ?? eventLoopUtilization();
  const setThreadPriority = options.setThreadPriority ?? setPriority;
  let current = normalNice;
  const apply = (nice: number) => {
    if (nice === current) return;
    current = nice;
    for (const threadId of threads) {
      try {
        setThreadPriority(threadId, nice);
      } catch {
        // The thread ended, or the system refused (raising a priority back may need a privilege
        // where limits forbid it): it keeps the priority it has.
      }
    }
  };
  apply(lowNice);
  const timer = setInterval(() => apply(helperNiceFor(utilization(), current)), checkEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The event loop's busy share since the previous call. */
function eventLoopUtilization(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    return utilization;
  };
}
