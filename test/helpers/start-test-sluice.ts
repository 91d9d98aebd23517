import { Writable } from 'node:stream';
import { completeRawConfig } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log/create-logger.ts';
import { type Sluice, startSluice } from '../../src/server/create-sluice.ts';
import { parseSluiceConfig } from '../../src/server/load-sluice-config.ts';

/** A Sluice started in this process for a test, with its log lines captured. */
export interface TestSluice extends Sluice {
  /** Every log line written so far, parsed. */
  logLines(): Array<Record<string, unknown>>;
  /** Every log line written so far, as written. */
  rawLog(): string;
}

/** Validates a raw test config like a file: the unpaced demo, a free loopback port and an in-memory ledger. */
export function testConfig(rawConfig: Record<string, unknown> = {}): Config {
  const providers = { demo: { type: 'demo', token_delay_ms: 0 }, ...(rawConfig.providers as object) };
  const models = { demo: { target: { provider: 'demo', model: 'demo' } }, ...(rawConfig.models as object) };
  const server = { host: '127.0.0.1', port: 0, ...(rawConfig.server as object) };
  const store = { path: ':memory:', ...(rawConfig.store as object) };
  return parseSluiceConfig(completeRawConfig({ ...rawConfig, providers, models, server, store }, {}), 'test');
}

/**
 * Starts a real Sluice on a free loopback port from a raw config (validated like a file would be).
 * The demo provider is added, as in production, with no pacing so tests run fast.
 */
export async function startTestSluice(rawConfig: Record<string, unknown> = {}): Promise<TestSluice> {
  const config = testConfig(rawConfig);
  let captured = '';
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      captured += chunk.toString();
      callback();
    },
  });
  const log = createLogger({ level: 'debug', destination });
  const sluice = await startSluice(config, log);
  return {
    ...sluice,
    rawLog: () => captured,
    logLines: () =>
      captured
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
