import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors/config-error.ts';
import type { ProviderKind } from '../spec/provider-kind.ts';
import { interpolateEnv } from './interpolate-env.ts';
import { type Config, createConfigSchema } from './schema.ts';

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.') || '(root)';
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  return `${path}: ${missing ? 'required' : issue.message}`;
}

/** One schema per list of kinds: building it takes longer than using it, and the list never changes. */
const schemas = new WeakMap<readonly ProviderKind[], ReturnType<typeof createConfigSchema>>();

function configSchemaFor(kinds: readonly ProviderKind[]): ReturnType<typeof createConfigSchema> {
  let schema = schemas.get(kinds);
  if (!schema) {
    schema = createConfigSchema(kinds);
    schemas.set(kinds, schema);
  }
  return schema;
}

/** Validates a raw config tree against the given provider kinds, throwing a ConfigError that lists every problem. */
export function parseConfig(raw: unknown, source: string, kinds: readonly ProviderKind[]): Config {
  const result = configSchemaFor(kinds).safeParse(raw ?? {});
  if (!result.success) {
    const lines = result.error.issues.map(describeIssue);
    throw new ConfigError(`invalid config ${source}:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}

/** The config used when there is no file: the demo, plus every provider whose kind finds its key in the environment. */
export function defaultRawConfig(
  env: NodeJS.ProcessEnv,
  kinds: readonly ProviderKind[],
): Record<string, unknown> {
  const providers: Record<string, unknown> = {};
  const models: Record<string, unknown> = {};
  for (const kind of kinds) {
    const found = kind.fromEnvironment?.(env);
    if (!found) continue;
    providers[found.name] = found.config;
    models[found.model.name] = { target: { provider: found.name, model: found.model.upstreamModel } };
  }
  return { providers, models };
}

/** Adds the built-in demo provider and model unless the config already names them. */
function withDemo(raw: Record<string, unknown>): Record<string, unknown> {
  const providers = { ...(raw.providers as Record<string, unknown> | undefined) };
  const models = { ...(raw.models as Record<string, unknown> | undefined) };
  providers.demo ??= { type: 'demo' };
  models.demo ??= { target: { provider: 'demo', model: 'demo' } };
  return { ...raw, providers, models };
}

/** Applies `HOST` and `PORT` from the environment over the file's listen address. */
function withListenOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const server = { ...(raw.server as Record<string, unknown> | undefined) };
  if (env.HOST) server.host = env.HOST;
  if (env.PORT) server.port = Number(env.PORT);
  return { ...raw, server };
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * A config that says nothing about auth, listening on loopback only, serves anonymous users (so a
 * first `npm start` just works); anywhere else, anonymous access must be turned on explicitly.
 */
function withAnonymousDefault(raw: Record<string, unknown>): Record<string, unknown> {
  if (raw.auth !== undefined) return raw;
  const host = (raw.server as { host?: unknown } | undefined)?.host ?? '127.0.0.1';
  return { ...raw, auth: { anonymous: { enabled: typeof host === 'string' && loopbackHosts.has(host) } } };
}

/** Takes the Redis address from `REDIS_URL` when the config asks for Redis without naming one. */
function withRedisUrl(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const store = typeof raw.store === 'string' ? { backend: raw.store } : raw.store;
  if (typeof store !== 'object' || store === null || !env.REDIS_URL) return raw;
  const { backend, redis } = store as { backend?: unknown; redis?: unknown };
  if (backend !== 'redis') return raw;
  const redisBlock = (typeof redis === 'object' && redis !== null ? redis : {}) as Record<string, unknown>;
  return { ...raw, store: { ...store, redis: { url: env.REDIS_URL, ...redisBlock } } };
}

/** Adds what every config gets before validation: the demo, the listen overrides, the anonymous default. */
export function completeRawConfig(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  return withAnonymousDefault(withListenOverrides(withRedisUrl(withDemo(raw), env), env));
}

export interface LoadConfigOptions {
  /** The YAML file; without one, the defaults apply. */
  path?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** The provider kinds a provider block may be, and that may add themselves from the environment. */
  kinds: readonly ProviderKind[];
}

/** Reads, interpolates and validates the config. */
export function loadConfig({ path, env = process.env, kinds }: LoadConfigOptions): Config {
  let raw: Record<string, unknown>;
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read config ${path}: ${(error as Error).message}`);
    }
    try {
      raw = (interpolateEnv(parseYaml(text), env) as Record<string, unknown> | null) ?? {};
    } catch (error) {
      if (error instanceof YAMLParseError) throw new ConfigError(`invalid YAML in ${path}: ${error.message}`);
      throw error;
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ConfigError(`invalid config ${path}: the top level must be a mapping`);
    }
  } else {
    raw = defaultRawConfig(env, kinds);
  }
  return parseConfig(completeRawConfig(raw, env), path ?? '(defaults)', kinds);
}
