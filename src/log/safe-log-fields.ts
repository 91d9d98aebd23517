import { boundText, loggedTextLimit } from './bound-text.ts';

/** What a secret's value is replaced with in a log line. */
export const censored = '[redacted]';

/** Field names that may hold a secret, in their usual spellings. */
const secretFieldNames = [
  'api_key',
  'apiKey',
  'authorization',
  'Authorization',
  'x-api-key',
  'cookie',
  'access_token',
  'token',
];

/** The same names in lower case: a field is compared in lower case, so any spelling counts. */
const secretKeys = new Set(secretFieldNames.map((name) => name.toLowerCase()));

const isSecretKey = (key: string) => secretKeys.has(key.toLowerCase());

/** The field pino logs errors under; its serializer makes what it logs safe with `safeErrorFields`. */
const errorKey = 'err';

/** A stack's frames are Sluice's own code: it keeps every line (each bounded) up to this many characters. */
const stackLimit = 4000;

/**
 * A stack with each line bounded (its first line is the error's message, which may quote a client),
 * then the whole: a message of many short lines cannot make it long either.
 */
function boundStack(stack: string): string {
  let bounded = stack;
  if (stack.length > loggedTextLimit) {
    const lines = stack.split('\n');
    if (lines.some((line) => line.length > loggedTextLimit)) {
      bounded = lines.map((line) => boundText(line)).join('\n');
    }
  }
  return boundText(bounded, stackLimit);
}

/** A string field as a log line may hold it. */
const boundField = (key: string, text: string) => (key === 'stack' ? boundStack(text) : boundText(text));

/** An array's long strings bounded: itself when it has none, else a copy. */
function boundItems(items: readonly unknown[]): readonly unknown[] {
  let copy: unknown[] | undefined;
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    if (typeof item !== 'string' || item.length <= loggedTextLimit) continue;
    copy ??= [...items];
    copy[index] = boundText(item);
  }
  return copy ?? items;
}

/**
 * `object`'s fields made safe to log, and one level further down when `nested`: itself when nothing
 * needed it, else a copy. A field named `skip` is left as it is.
 */
function safeFields(object: object, nested: boolean, skip?: string): object {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(object)) {
    if (key === skip) continue;
    const value = (object as Record<string, unknown>)[key];
    let safe = value;
    if (isSecretKey(key)) safe = censored;
    else if (typeof value === 'string') {
      if (value.length > loggedTextLimit) safe = boundField(key, value);
    } else if (nested && typeof value === 'object' && value !== null) {
      safe = Array.isArray(value) ? boundItems(value) : safeFields(value, false);
    }
    if (safe === value) continue;
    copy ??= { ...object } as Record<string, unknown>;
    copy[key] = safe;
  }
  return copy ?? object;
}

/**
 * A log line's fields made safe to write, at the top and one level down (`{ headers: { authorization } }`,
 * `{ provider: { api_key } }`, `{ warnings: [...] }`):
 * - every field named like a secret (`api_key`, `apiKey`, `authorization`, `x-api-key`, `cookie`,
 *   `access_token`, `token`, in any case) is censored, so a careless `log.info({ headers })` still
 *   cannot leak a key;
 * - every string longer than 200 characters is cut to 200 with a `…(+N chars)` marker, so a client's
 *   string (a model name can be a whole 1 MiB frame) cannot make a line longer than what it is about.
 *
 * Nothing logged is changed, and nothing is copied unless it had to be: this runs on every line. An
 * error under `err` is left to the error serializer, which uses `safeErrorFields`.
 *
 * Why not pino's `redact`: its paths that begin with a wildcard (`*.api_key`) run a redactor, which
 * parses every path again, clones and stringifies, for every field of every line, a string or a
 * number too: ~3% of Sluice's CPU at 50 streams, for the `request end` line alone.
 */
export function safeLogFields<T extends object>(fields: T): T {
  return safeFields(fields, true, errorKey) as T;
}

/**
 * What pino's error serializer made of a logged error, made safe like a line's fields: its message and
 * fields bounded and censored, its stack kept line by line up to 4,000 characters. A thrown non-error
 * is bounded if it is a string.
 */
export function safeErrorFields(serialized: unknown): unknown {
  if (typeof serialized === 'string') return boundText(serialized);
  if (typeof serialized !== 'object' || serialized === null) return serialized;
  return safeFields(serialized, true);
}
