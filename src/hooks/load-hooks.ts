import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors/config-error.ts';
import { builtinHook } from './builtin-hooks.ts';
import type { HookEntry } from './hook-config-schema.ts';
import { type Hook, type HookFactory, hookStages } from './hook-types.ts';

/** A hook ready to run, with its entry's settings. */
export interface LoadedHook {
  name: string;
  hook: Hook;
  failOpen: boolean;
  timeoutMs: number;
  /** Built-in hooks are trusted; what a module's hook returns is checked before it is used. */
  trusted: boolean;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Imports a hook module and returns its default export, the factory. */
async function importFactory(use: string, baseDirectory: string, where: string): Promise<HookFactory> {
  const path = resolve(baseDirectory, use);
  let module: { default?: unknown };
  try {
    module = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new ConfigError(`${where}.use: cannot load ${path}: ${messageOf(error)}`);
  }
  if (typeof module.default !== 'function') {
    throw new ConfigError(`${where}.use: ${path} must export a default function (options) => hook`);
  }
  return module.default as HookFactory;
}

/** Throws unless the factory made an object whose stages, where present, are functions. */
function checkHook(value: unknown, where: string): Hook {
  if (typeof value !== 'object' || value === null) {
    throw new ConfigError(`${where}: the hook factory must return an object with pre, stream or done`);
  }
  const hook = value as Record<string, unknown>;
  const stages = hookStages.filter((stage) => hook[stage] !== undefined);
  for (const stage of stages) {
    if (typeof hook[stage] !== 'function') throw new ConfigError(`${where}: "${stage}" must be a function`);
  }
  if (hook.name !== undefined && typeof hook.name !== 'string') {
    throw new ConfigError(`${where}: "name" must be a string`);
  }
  return hook as Hook;
}

/**
 * Makes every configured hook, in order: built-in ones by name, others by importing their module
 * (relative to `baseDirectory`, the config file's directory) and calling its default export with the
 * entry's options. A module that cannot be loaded or a factory that throws is a ConfigError naming the entry.
 */
export async function loadHooks(entries: readonly HookEntry[], baseDirectory: string): Promise<LoadedHook[]> {
  const loaded: LoadedHook[] = [];
  for (const [index, entry] of entries.entries()) {
    const where = `hooks.${index}`;
    const builtin = builtinHook(entry.use);
    const factory = builtin ? builtin.create : await importFactory(entry.use, baseDirectory, where);
    let made: unknown;
    try {
      made = await factory(entry.options);
    } catch (error) {
      throw new ConfigError(`${where}: ${entry.use}: cannot create the hook: ${messageOf(error)}`);
    }
    const hook = checkHook(made, where);
    const ownName = builtin ? entry.use : basename(entry.use, extname(entry.use));
    loaded.push({
      name: entry.name ?? hook.name ?? ownName,
      hook,
      failOpen: entry.fail_open,
      timeoutMs: entry.timeout_ms,
      trusted: builtin !== undefined,
    });
  }
  return loaded;
}
