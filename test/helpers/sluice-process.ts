import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const root = new URL('../../', import.meta.url).pathname;

/** Runs Sluice as `npm start` does (`node src/main.ts`), with only the given environment. */
export function spawnSluice(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['src/main.ts', ...args], {
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
