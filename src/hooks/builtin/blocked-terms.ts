import { z } from 'zod';
import { type ErrorCode, httpStatusOf } from '../../errors/gateway-error.ts';
import { createHoldBackWindow, type TextMatch } from '../hold-back-window.ts';
import type { Hook, PreHookResult } from '../hook-types.ts';
import { createTextWindowTransform } from '../text-window-transform.ts';

const errorCodes = Object.keys(httpStatusOf) as [ErrorCode, ...ErrorCode[]];

/** The `options` of a `blocked-terms` hook entry. */
export const blockedTermsOptionsSchema = z.strictObject({
  /** Matched without regard to case. */
  terms: z.array(z.string().trim().min(1)).min(1),
  /** `word`: only whole words (`ban` does not match `banner`); `substring`: anywhere. */
  match: z.enum(['word', 'substring']).default('word'),
  /** Refuse a request whose messages hold a term. */
  input: z.boolean().default(true),
  /** The error code a refused request gets. */
  code: z.enum(errorCodes).default('forbidden'),
  /** The message a refused request gets; it does not name the term. */
  message: z.string().min(1).default('the request contains a blocked term'),
  /** Replace terms in the output (text and reasoning) with `mask`. */
  stream: z.boolean().default(false),
  mask: z.string().default('[blocked]'),
});

const wordCharacter = /[\p{L}\p{N}_]/u;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One case-insensitive pattern for all the terms, longest first so a longer term wins over its prefix. */
function termPattern(terms: string[], match: 'word' | 'substring'): RegExp {
  const alternatives = [...terms].sort((first, second) => second.length - first.length).map(escapeRegExp);
  const body = `(?:${alternatives.join('|')})`;
  const source = match === 'word' ? `(?<![\\p{L}\\p{N}_])${body}(?![\\p{L}\\p{N}_])` : body;
  return new RegExp(source, 'giu');
}

/**
 * The built-in `blocked-terms` hook: refuses a request whose messages contain a configured term and,
 * when `stream` is on, masks the terms in the output.
 */
export function createBlockedTerms(rawOptions: Record<string, unknown>): Hook {
  const options = blockedTermsOptionsSchema.parse(rawOptions);
  const pattern = termPattern(options.terms, options.match);
  const hook: Hook = { name: 'blocked-terms' };
  if (options.input) {
    const rejection: PreHookResult = { reject: { code: options.code, message: options.message } };
    hook.pre = ({ request }) => {
      for (const message of request.messages) {
        pattern.lastIndex = 0;
        if (pattern.test(message.content)) return rejection;
      }
      return undefined;
    };
  }
  if (options.stream) {
    // A word at the very end may still grow (`ban` → `banner`): hold it until the next character says.
    const continues = options.match === 'word' ? wordCharacter : undefined;
    const find = (text: string): TextMatch[] =>
      Array.from(text.matchAll(pattern), (found) => ({
        start: found.index,
        end: found.index + found[0].length,
        replacement: options.mask,
        continues,
      }));
    const windowChars = Math.max(...options.terms.map((term) => term.length));
    hook.stream = () =>
      createTextWindowTransform({
        reasoning: true,
        createWindow: () => createHoldBackWindow({ windowChars, find }),
      });
  }
  return hook;
}
