/**
 * How deep a client's JSON may nest. A request's own envelope takes 5 levels to reach a tool's
 * `parameters`, and a JSON schema 2 more per nested object (`properties`, then the property), so 64
 * leaves room for some 29 nested objects in a tool's schema: far past what any provider accepts in one.
 * The bound is what makes everything after the parse safe to recurse on client data without a limit
 * of its own (the cache key's `canonicalJson`, zod's validation, `JSON.stringify` of tools when
 * counting tokens): none of them can reach the stack's end at this depth.
 */
export const maxJsonDepth = 64;

/** JSON that parsed, or why it did not: not JSON at all, or nested deeper than `maxJsonDepth`. */
export type BoundedJson = { ok: true; value: unknown } | { ok: false; problem: 'syntax' | 'depth' };

const quote = 0x22;
const backslash = 0x5c;
const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;

/** The index of the quote that closes the JSON string opened at `open`, or the text's length if none does. */
export function endOfString(text: string, open: number): number {
  let index = open;
  for (;;) {
    // indexOf runs natively, so the long strings that make up most of a chat frame cost little.
    index = text.indexOf('"', index + 1);
    if (index === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(index - 1 - backslashes) === backslash) backslashes++;
    if (backslashes % 2 === 0) return index;
  }
}

/**
 * Whether `text` opens more than `limit` objects or arrays inside one another (brackets inside strings
 * do not count). For any text `JSON.parse` accepts this is its exact depth; for any other text the
 * parse fails at its first error, which this scan has read correctly up to, so the parse never goes
 * deeper than the scan allowed.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  const length = text.length;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code === quote) index = endOfString(text, index);
    else if (code === openBrace || code === openBracket) {
      if (++depth > limit) return true;
    } else if (code === closeBrace || code === closeBracket) depth--;
  }
  return false;
}

/** Parses a client's JSON text, refusing it before parsing when it nests deeper than `maxJsonDepth`. */
export function parseBoundedJson(text: string, limit = maxJsonDepth): BoundedJson {
  if (nestsDeeperThan(text, limit)) return { ok: false, problem: 'depth' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, problem: 'syntax' };
  }
}
