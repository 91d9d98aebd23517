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

/**
 * Pino serializers that censor a secret-named field by its usual spellings. Pino applies them to a
 * child logger's bindings too, which its `log` formatter never sees.
 */
export const secretFieldSerializers: Record<string, () => string> = Object.fromEntries(
  secretFieldNames.map((name) => [name, () => censored]),
);

/** `object` with its secret-named own fields censored: itself when it has none, else a copy. */
function censorFields(object: object): object {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(object)) {
    if (!isSecretKey(key)) continue;
    copy ??= { ...object };
    copy[key] = censored;
  }
  return copy ?? object;
}

/** The field pino logs errors under; its serializer censors what it makes of them. */
const errorKey = 'err';

/** Objects whose fields are looked into: not arrays, whose indices are never secret names. */
const hasFields = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A log line's fields with every field named like a secret (`api_key`, `apiKey`, `authorization`,
 * `x-api-key`, `cookie`, `access_token`, `token`, in any case) censored, at the top and one level
 * down (`{ headers: { authorization } }`, `{ provider: { api_key } }`): a careless
 * `log.info({ headers })` still cannot leak a key. Nothing logged is changed: what has a secret is
 * copied. An error under `err` is left to the error serializer, which censors what it makes of it
 * with this function too (`err.token`, `err.headers.authorization`).
 *
 * Why not pino's `redact`: its paths that begin with a wildcard (`*.api_key`) run a redactor, which
 * parses every path again, clones and stringifies, for every field of every line, a string or a
 * number too: ~3% of Sluice's CPU at 50 streams, for the `request end` line alone.
 */
export function censorSecrets<T extends object>(fields: T): T {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    const value = (fields as Record<string, unknown>)[key];
    let safe = value;
    if (isSecretKey(key)) safe = censored;
    else if (key !== errorKey && hasFields(value)) safe = censorFields(value);
    if (safe === value) continue;
    copy ??= { ...fields } as Record<string, unknown>;
    copy[key] = safe;
  }
  return (copy ?? fields) as T;
}
