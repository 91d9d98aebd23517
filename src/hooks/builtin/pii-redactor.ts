import { z } from 'zod';
import { createHoldBackWindow } from '../hold-back-window.ts';
import type { Hook, PreHookResult } from '../hook-types.ts';
import { createTextWindowTransform } from '../text-window-transform.ts';
import { findPii, type PiiKind, piiKinds, redactPii } from './find-pii.ts';

/** The `options` of a `pii-redactor` hook entry. */
export const piiRedactorOptionsSchema = z.strictObject({
  /** Rewrite the request's message contents before they go upstream. */
  input: z.boolean().default(true),
  /** Rewrite the output on its way to the client. */
  stream: z.boolean().default(true),
  /** In the output, rewrite the model's reasoning as well as its text. */
  reasoning: z.boolean().default(true),
  /** The most output characters held back, so a match split across deltas is still caught; at least 40, so the shortest key of every shape fits. */
  window_chars: z.number().int().min(40).max(4096).default(64),
  /** What to redact. */
  kinds: z
    .array(z.enum(piiKinds))
    .min(1)
    .default([...piiKinds]),
});

/**
 * The built-in `pii-redactor` hook: replaces emails, phone numbers, payment card numbers (Luhn-checked)
 * and API-key-shaped strings with `[email]`, `[phone]`, `[card]` and `[key]`, in the request's messages
 * and in the output stream.
 */
export function createPiiRedactor(rawOptions: Record<string, unknown>): Hook {
  const options = piiRedactorOptionsSchema.parse(rawOptions);
  const kinds: ReadonlySet<PiiKind> = new Set(options.kinds);
  const hook: Hook = { name: 'pii-redactor' };
  if (options.input) {
    hook.pre = ({ request }): PreHookResult => {
      let changed = false;
      const messages = request.messages.map((message) => {
        const content = redactPii(message.content, kinds);
        if (content === message.content) return message;
        changed = true;
        return { ...message, content };
      });
      return changed ? { messages } : undefined;
    };
  }
  if (options.stream) {
    hook.stream = () =>
      createTextWindowTransform({
        reasoning: options.reasoning,
        createWindow: () =>
          createHoldBackWindow({ windowChars: options.window_chars, find: (text) => findPii(text, kinds) }),
      });
  }
  return hook;
}
