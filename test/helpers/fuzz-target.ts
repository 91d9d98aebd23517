import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listeningPort, spawnSluice } from './sluice-process.ts';

/** A Sluice process under fuzzing: its port, its memory, and whether it is still up. */
export interface FuzzTarget {
  port: number;
  child: ChildProcess;
  /** Resident memory of the Sluice process, in MiB. */
  rssMiB(): number;
  /** Every line Sluice logged so far. */
  logLines(): string[];
  stop(): Promise<void>;
}

/** Limits small enough that the fuzz reaches them often, and a demo model that answers at once. */
const fuzzConfig = `
server:
  max_frame_bytes: 65536
  max_body_bytes: 65536
  max_bad_frames: 40
  per_ip: { handshakes_per_minute: 1000000, max_connections: 64 }
store: { path: ":memory:" }
providers: { demo: { type: demo, token_delay_ms: 0 } }
models: { demo: { target: { provider: demo, model: demo } } }
`;

/** Starts Sluice as its own process (so a crash shows, and its memory can be read) on a free port. */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-fuzz-'));
  const configPath = join(directory, 'sluice.yaml');
  writeFileSync(configPath, fuzzConfig);
  const child = spawnSluice(['--config', configPath], { PORT: '0' });
  let logText = '';
  const port = await listeningPort(child);
  child.stdout!.on('data', (chunk: Buffer) => {
    logText += chunk.toString();
  });
  return {
    port,
    child,
    rssMiB() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
      return kib / 1024;
    },
    logLines: () => logText.split('\n').filter(Boolean),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
