import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as wait } from 'node:timers/promises';
import { listeningPort, spawnSluice } from './sluice-process.ts';

/** A Sluice process under fuzzing: its port, its memory, and whether it is still up. */
export interface FuzzTarget {
  port: number;
  child: ChildProcess;
  /** Resident memory of the Sluice process, in MiB. */
  rssMiB(): number;
  /**
   * After a fuzz run: Sluice is still up and healthy, logged no error, and its memory comes back
   * within 100 MiB of `rssBeforeMiB` (it may take a few seconds to give it back).
   */
  assertRecovered(rssBeforeMiB: number): Promise<void>;
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
  const rssMiB = () => {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
  };
  let logText = '';
  const port = await listeningPort(child);
  child.stdout!.on('data', (chunk: Buffer) => {
    logText += chunk.toString();
  });
  return {
    port,
    child,
    rssMiB,
    async assertRecovered(rssBeforeMiB) {
      assert.equal(child.exitCode, null, 'Sluice is still running');
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      const errors = logText
        .split('\n')
        .filter((line) => line !== '' && (JSON.parse(line) as { level: number }).level >= 50);
      assert.deepEqual(errors, [], 'no error was logged');
      const bound = rssBeforeMiB + 100;
      const giveUpAt = Date.now() + 30_000;
      while (rssMiB() >= bound && Date.now() < giveUpAt) await wait(200);
      assert.ok(rssMiB() < bound, `RSS ${rssMiB()} MiB after the run, ${rssBeforeMiB} before`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
