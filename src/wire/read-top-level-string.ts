import { endOfString } from './parse-bounded-json.ts';

const whitespace = new Set([' ', '\t', '\n', '\r']);

function skipWhitespace(text: string, index: number): number {
  let at = index;
  while (whitespace.has(text.charAt(at))) at++;
  return at;
}

/**
 * The string value of a field of the outermost JSON object, read without parsing the text (which may
 * be too deep to parse), or undefined when there is no such string field. Linear in the text's length;
 * fields nested in other values are skipped.
 */
export function readTopLevelString(text: string, field: string): string | undefined {
  let depth = 0;
  for (let index = 0; index < text.length; index++) {
    const character = text.charAt(index);
    if (character === '{' || character === '[') depth++;
    else if (character === '}' || character === ']') depth--;
    else if (character === '"') {
      const end = endOfString(text, index);
      if (end === text.length) return undefined;
      const afterKey = skipWhitespace(text, end + 1);
      if (depth === 1 && text.charAt(afterKey) === ':' && decode(text.slice(index, end + 1)) === field) {
        const valueStart = skipWhitespace(text, afterKey + 1);
        if (text.charAt(valueStart) !== '"') return undefined;
        const valueEnd = endOfString(text, valueStart);
        return valueEnd === text.length ? undefined : decode(text.slice(valueStart, valueEnd + 1));
      }
      index = end;
    }
  }
  return undefined;
}

/** A JSON string literal's value; a flat string, so parsing it cannot go deep. */
function decode(literal: string): string | undefined {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined;
  }
}
