import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** A started process and the JSON lines it prints. */
export interface WatchedProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves with the first line from now on that matches; rejects if the process exits or time runs out. */
  waitForLine<T>(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<T>;
  /** How many lines the process has printed. */
  lineCount(): number;
  /** The last of what the process wrote to standard error, to explain an early exit. */
  stderrTail(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/** How to start one of the rig's processes. */
export interface SpawnOptions {
  /** A name for messages. */
  name: string;
  /** The executable: node (this rig's) when absent. */
  program?: string;
  /** Its arguments; for node, flags, then the script and its arguments. */
  args: string[];
  /** The CPUs to pin the process to with `taskset`; all when absent. */
  cpus?: number[];
  cwd: string;
}

const stderrTailBytes = 2000;

/**
 * Raises the open-files limit to the hard limit (Node cannot raise its own), and where `setpriv` exists
 * asks the kernel to kill the process if the rig dies, even by SIGKILL, so nothing is left running
 * (a SIGTERM would not do: Sluice then drains, and with its log pipe gone it may never finish).
 */
const launcher =
  'ulimit -n "$(ulimit -Hn)" || exit 1; ' +
  'if command -v setpriv >/dev/null; then exec setpriv --pdeathsig KILL "$@"; else exec "$@"; fi';

const stopGraceMs = 10_000;

/**
 * Starts the rig's processes and stops every one of them at the end, on Ctrl-C, or when the rig fails:
 * a benchmark must never leave a Sluice or a load generator running.
 */
export function createChildProcesses() {
  const running = new Set<ChildProcess>();

  const stop = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
    await exited;
    clearTimeout(timer);
  };

  return {
    /** Starts the program (node by default) through the launcher, pinned to `cpus` when given. */
    spawn(options: SpawnOptions): WatchedProcess {
      const pin = options.cpus ? ['taskset', '-c', options.cpus.join(',')] : [];
      const child = spawn(
        'bash',
        ['-c', launcher, options.name, ...pin, options.program ?? process.execPath, ...options.args],
        { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      running.add(child);
      let stderr = '';
      child.stderr!.on('data', (part: Buffer) => {
        stderr = (stderr + part.toString()).slice(-stderrTailBytes);
      });
      const exited = new Promise<number | null>((resolve) => {
        child.once('exit', (code) => {
          running.delete(child);
          resolve(code);
        });
      });
      let lines = 0;
      const waiters = new Set<(line: Record<string, unknown>) => void>();
      createInterface({ input: child.stdout! }).on('line', (text) => {
        lines++;
        if (waiters.size === 0 || !text.startsWith('{')) return;
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          return;
        }
        for (const waiter of waiters) waiter(line);
      });
      return {
        child,
        pid: child.pid!,
        exited,
        lineCount: () => lines,
        stderrTail: () => stderr,
        waitForLine<T>(match: (line: Record<string, unknown>) => boolean, timeoutMs: number, what: string) {
          return new Promise<T>((resolve, reject) => {
            const finish = () => {
              waiters.delete(waiter);
              clearTimeout(timer);
            };
            const waiter = (line: Record<string, unknown>) => {
              if (!match(line)) return;
              finish();
              resolve(line as T);
            };
            const timer = setTimeout(() => {
              finish();
              reject(new Error(`${options.name}: no ${what} within ${timeoutMs} ms`));
            }, timeoutMs);
            waiters.add(waiter);
            void exited.then((code) => {
              if (!waiters.has(waiter)) return;
              finish();
              reject(new Error(`${options.name} exited (${code}) before ${what}: ${stderr.trim()}`));
            });
          });
        },
      };
    },
    /** Stops one process: SIGTERM, then SIGKILL if it is still there after 10 s. */
    stop: (process: WatchedProcess) => stop(process.child),
    /** Stops every process still running. */
    stopAll: () => Promise.all([...running].map((child) => stop(child))),
    /** The last resort as the rig itself exits: no waiting is possible any more. */
    killAllNow(): void {
      for (const child of running) child.kill('SIGKILL');
    },
  };
}

/** The rig's running processes. */
export type ChildProcesses = ReturnType<typeof createChildProcesses>;
