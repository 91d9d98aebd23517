import type { WindowName } from './quota-windows.ts';
import type { ReservationRequest, WindowLimit } from './usage-store.ts';

/** What a window has used so far (settled plus reserved). */
export interface WindowUse {
  tokens: number;
  usd: number;
}

export type GrantDecision =
  | { granted: true; outputTokens: number; tokens: number; usd: number }
  | { granted: false; window: WindowName };

/**
 * Decides how many output tokens a request may reserve given what each window has left: as many as
 * it wants, clamped to the tightest token and dollar headroom; refused when that is below the useful
 * minimum. Shared by every store so they all decide alike; each store makes it atomic its own way.
 */
export function grantOutputTokens(
  request: Pick<ReservationRequest, 'inputTokens' | 'wantedOutputTokens' | 'minOutputTokens' | 'price'>,
  uses: ReadonlyArray<{ limit: WindowLimit; use: WindowUse }>,
): GrantDecision {
  const { inputTokens, price } = request;
  let outputTokens = request.wantedOutputTokens;
  let binding: WindowName | undefined;
  for (const { limit, use } of uses) {
    if (limit.tokens !== undefined) {
      const fits = limit.tokens - use.tokens - inputTokens;
      if (fits < outputTokens) {
        outputTokens = fits;
        binding = limit.window;
      }
    }
    if (limit.usd !== undefined) {
      const dollarsLeft = limit.usd - use.usd - inputTokens * price.input;
      const fits =
        price.output > 0
          ? Math.floor(dollarsLeft / price.output + 1e-9)
          : dollarsLeft >= 0
            ? outputTokens
            : -1;
      if (fits < outputTokens) {
        outputTokens = fits;
        binding = limit.window;
      }
    }
  }
  const minimum = Math.min(request.minOutputTokens, request.wantedOutputTokens);
  if (binding !== undefined && outputTokens < minimum) return { granted: false, window: binding };
  const usd = inputTokens * price.input + outputTokens * price.output;
  return { granted: true, outputTokens, tokens: inputTokens + outputTokens, usd };
}
