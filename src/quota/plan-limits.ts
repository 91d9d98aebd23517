import type { WindowLimit } from '../store/usage-store.ts';
import type { Plan } from './plan-schema.ts';

/** The token and dollar limits of a plan, one entry per limited window. */
export function windowLimitsOf(plan: Plan): WindowLimit[] {
  const limits: WindowLimit[] = [];
  const add = (window: WindowLimit['window'], tokens?: number, usd?: number) => {
    if (tokens === undefined && usd === undefined) return;
    const limit: WindowLimit = { window };
    if (tokens !== undefined) limit.tokens = tokens;
    if (usd !== undefined) limit.usd = usd;
    limits.push(limit);
  };
  add('minute', plan.tokens_per_minute);
  add('day', plan.tokens_per_day, plan.usd_per_day);
  add('month', plan.tokens_per_month, plan.usd_per_month);
  return limits;
}
