import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../errors/config-error.ts';
import { loadSluiceConfig } from './load-sluice-config.ts';

/**
 * Reloads the config file and hands a valid one to `apply`; an invalid one is rejected with a log
 * line naming the error, and the config in force stays. Without a file (the defaults), the
 * environment is read again.
 */
export async function reloadConfig(
  path: string | undefined,
  log: Logger,
  apply: (config: Config) => Promise<void>,
): Promise<void> {
  try {
    // Applying can fail too (a prompt template or a hook module that does not load): then nothing changes either.
    await apply(loadSluiceConfig({ path }));
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : String(error);
    log.error({ path, error: message }, 'config reload rejected; the config in force stays');
  }
}

/**
 * Watches the config file and reloads it after it changes. The directory is watched, not the file,
 * because editors and deploy tools replace the file (a new inode) rather than write it in place;
 * a short pause lets a burst of events from one save settle into one reload.
 */
export function watchConfigFile(path: string, onChange: () => void): FSWatcher {
  const name = basename(path);
  let pending: NodeJS.Timeout | undefined;
  const watcher = watch(dirname(path), (_event, changed) => {
    if (changed !== name) return;
    clearTimeout(pending);
    pending = setTimeout(onChange, 100);
  });
  watcher.unref();
  return watcher;
}
