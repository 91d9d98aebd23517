import { boundText } from './bound-text.ts';

/**
 * A value a client sent (a model, prompt or variable name, a frame type), quoted for an error message
 * and bounded: the message reaches the client's error frame and the log, and the value may be as long
 * as a whole frame or body.
 */
export function quoteClientValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(boundText(value));
  return boundText(JSON.stringify(value) ?? String(value));
}
