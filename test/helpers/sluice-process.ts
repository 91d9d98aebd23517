import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseStartScript, sourceEntryPoint } from '../../bench/start-script.ts';

const root = new URL('../../', import.meta.url).pathname;
const start = parseStartScript(readFileSync(new URL('package.json', `file://${root}`), 'utf8'));

/**
 * Runs Sluice as `npm start` does (its node flags and entry point, from the source rather than the
 * build), with only the given environment.
 */
export function spawnSluice(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...start.nodeFlags, sourceEntryPoint(start.entryPoint), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs Sluice as `spawnSluice` does, under `prlimit`, with at most `openFiles` file descriptors. */
export function spawnSluiceWithOpenFileLimit(
  openFiles: number,
  args: string[],
  env: Record<string, string>,
): ChildProcess {
  const command = [process.execPath, ...start.nodeFlags, sourceEntryPoint(start.entryPoint), ...args];
  return spawn('prlimit', [`--nofile=${openFiles}`, ...command], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs Sluice exactly as `npm start` does, from its build: only for a test of the build itself. */
export function spawnBuiltSluice(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...start.nodeFlags, start.entryPoint], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the port from Sluice's "listening" log line; keeps draining its output afterwards. */
export async function listeningPort(child: ChildProcess): Promise<number> {
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const entry = JSON.parse(line) as { port?: number; msg?: string };
    if (entry.msg?.startsWith('Sluice listening')) {
      // Keep reading so a full pipe never blocks the child.
      child.stdout!.resume();
      return entry.port!;
    }
  }
  throw new Error('Sluice exited before listening');
}
