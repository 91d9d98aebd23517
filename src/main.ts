import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load-config.ts';
import { createLogger } from './log/create-logger.ts';
import { startSluice } from './server/create-sluice.ts';

/** Entry point: read the config, start the server, stop cleanly on a signal. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
  const configPath = values.config ?? process.env.SLUICE_CONFIG;
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ path: configPath });
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
    sluice = await startSluice(config, log);
  } catch (error) {
    process.stderr.write(`sluice: cannot start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const stop = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await sluice.close();
    log.flush();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

await main();
