import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from './errors/config-error.ts';
import { createLogger } from './log/create-logger.ts';
import { startSluice } from './server/create-sluice.ts';
import { governHelperThreadPriority } from './server/helper-thread-priority.ts';
import { loadSluiceConfig } from './server/load-sluice-config.ts';
import { reloadConfig, watchConfigFile } from './server/watch-config.ts';

/** Entry point: read the config, start the server, reload on SIGHUP, drain on SIGTERM. */
async function main(): Promise<void> {
  // GC and compiler threads yield the core to the event loop while it has time to spare (see why there).
  governHelperThreadPriority();
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
  const configPath = values.config ?? process.env.SLUICE_CONFIG;
  let config: ReturnType<typeof loadSluiceConfig>;
  try {
    config = loadSluiceConfig({ path: configPath });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sluice: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger({ level: process.env.LOG_LEVEL ?? config.log.level });
  let sluice: Awaited<ReturnType<typeof startSluice>>;
  try {
    sluice = await startSluice(config, log, {
      baseDirectory: configPath ? dirname(resolve(configPath)) : process.cwd(),
    });
  } catch (error) {
    process.stderr.write(`sluice: cannot start: ${(error as Error).message}\n`);
    // A config that names an unusable file (a TLS key, say) is a config error too.
    process.exit(error instanceof ConfigError ? 2 : 1);
  }

  const reload = () => void reloadConfig(configPath, log, (next) => sluice.reload(next));
  process.on('SIGHUP', reload);
  if (config.server.watch_config && configPath) watchConfigFile(configPath, reload);

  let stopping = false;
  const stop = async (signal: string, drainMs: number) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await sluice.drain(drainMs);
    log.info('stopped');
    // The logger writes asynchronously: let its last lines out before the process ends, but never
    // wait on a closed stdout (pino retries a write that failed with EPIPE for ever).
    setTimeout(() => process.exit(0), 2000);
    log.flush(() => process.exit(0));
  };
  process.on('SIGTERM', () => void stop('SIGTERM', config.server.drain_timeout_ms));
  // Ctrl-C means now: in-flight requests are ended and recorded, not waited for.
  process.on('SIGINT', () => void stop('SIGINT', 0));
}

await main();
