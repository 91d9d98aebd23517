import { providerKinds } from '../../providers/index.ts';
import { type LoadConfigOptions, loadConfig, parseConfig } from '../config/load-config.ts';
import type { Config } from '../config/schema.ts';

/** Reads, interpolates and validates the config against every provider kind Sluice ships. */
export function loadSluiceConfig(options: Omit<LoadConfigOptions, 'kinds'> = {}): Config {
  return loadConfig({ ...options, kinds: providerKinds });
}

/** Validates a raw config tree against every provider kind Sluice ships. */
export function parseSluiceConfig(raw: unknown, source: string): Config {
  return parseConfig(raw, source, providerKinds);
}
