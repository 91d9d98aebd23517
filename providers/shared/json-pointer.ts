/**
 * What looking a JSON pointer up found. `found` tells a missing member apart from one that is
 * present and `null`.
 */
export type JsonPointerLookup = { found: true; value: unknown } | { found: false };

const notFound: JsonPointerLookup = { found: false };
const arrayIndex = /^(0|[1-9][0-9]*)$/;

/** Whether `pointer` is a valid RFC 6901 JSON pointer (`""` is, and names the whole document). */
export function isJsonPointer(pointer: string): boolean {
  return pointer === '' || (pointer.startsWith('/') && !/~(?![01])/.test(pointer));
}

/**
 * Splits an RFC 6901 JSON pointer into its reference tokens, unescaping `~1` to `/` and `~0` to `~`
 * (in that order, so `~01` stays `~1`). Throws a TypeError on an invalid pointer.
 */
export function parseJsonPointer(pointer: string): string[] {
  if (!isJsonPointer(pointer)) throw new TypeError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/**
 * Finds the value a JSON pointer names in a parsed JSON document. Only own members count, so a
 * pointer such as `/constructor` never reaches into the prototype; `-` (the slot past an array's
 * end) and out-of-range or non-canonical indexes like `01` are not found.
 */
export function lookupJsonPointer(document: unknown, pointer: string | readonly string[]): JsonPointerLookup {
  const tokens = typeof pointer === 'string' ? parseJsonPointer(pointer) : pointer;
  let current: unknown = document;
  for (const token of tokens) {
    if (Array.isArray(current)) {
      if (!arrayIndex.test(token)) return notFound;
      const index = Number(token);
      if (index >= current.length) return notFound;
      current = current[index];
    } else if (current !== null && typeof current === 'object') {
      if (!Object.hasOwn(current, token)) return notFound;
      current = (current as Record<string, unknown>)[token];
    } else {
      return notFound;
    }
  }
  return { found: true, value: current };
}
