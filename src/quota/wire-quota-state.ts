import type { WindowName } from '../store/quota-windows.ts';
import type { WindowRemaining } from '../store/usage-store.ts';

const windowWords: Record<WindowName, string> = { minute: 'minute', day: 'today', month: 'month' };

/** What is left, as the protocol's `quota` object: `tokens_left_today`, `usd_left_month`, ... */
export function toQuotaState(remaining: readonly WindowRemaining[]): Record<string, number> {
  const state: Record<string, number> = {};
  for (const window of remaining) {
    const word = windowWords[window.window];
    if (window.tokens !== undefined) state[`tokens_left_${word}`] = window.tokens;
    if (window.usd !== undefined) state[`usd_left_${word}`] = Number(window.usd.toFixed(6));
  }
  return state;
}
