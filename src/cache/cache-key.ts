import { hash } from 'node:crypto';
import type { ChatMessage, SamplingParameters, ToolDefinition } from '../spec/chat-request.ts';

/** A target the route may send the request to, with the parameter defaults it would apply. */
export interface CacheKeyTarget {
  provider: string;
  model: string;
  params?: Record<string, unknown>;
}

/** Everything that decides the reply: where the request goes, what it says, and how it is sampled. */
export interface CacheKeyInput extends SamplingParameters {
  /** The model name the client asked for (the route). */
  route: string;
  /** The route's targets in order: any of them may answer, so all of them decide the reply. */
  targets: readonly CacheKeyTarget[];
  /** The final messages, after templates and pre-hooks. */
  messages: readonly ChatMessage[];
  tools?: readonly ToolDefinition[];
}

// `satisfies` makes a new sampling parameter a type error here until it is part of the key.
const samplingFields = {
  maxTokens: true,
  temperature: true,
  topP: true,
  stop: true,
} as const satisfies Record<keyof SamplingParameters, true>;

// Bumped when the key's contents change, so a shared store never serves replies keyed the old way.
const keyVersion = 'sluice.cache.v1';

/** JSON with object keys sorted and undefined fields dropped, so equal values always give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const fields = Object.keys(record)
      .filter((name) => record[name] !== undefined)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${canonicalJson(record[name])}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The response cache's key for a request: a hex SHA-256 of the canonical JSON of what decides the
 * reply. Only the named fields are read, so a request's id, metadata or any other passenger field
 * never splits the key.
 */
export function cacheKey(input: CacheKeyInput): string {
  const sampling: Record<string, unknown> = {};
  for (const name of Object.keys(samplingFields) as (keyof SamplingParameters)[])
    sampling[name] = input[name];
  const decisive = {
    route: input.route,
    targets: input.targets.map(({ provider, model, params }) => ({ provider, model, params })),
    messages: input.messages,
    tools: input.tools,
    sampling,
  };
  // One-shot `hash`: cheaper than a Hash object for one string, and this runs for every request.
  return hash('sha256', `${keyVersion}\n${canonicalJson(decisive)}`, 'hex');
}
