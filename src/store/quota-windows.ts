/** The fixed windows quotas are counted in: the current minute, UTC day and UTC month. */
export type WindowName = 'minute' | 'day' | 'month';

export const windowNames: readonly WindowName[] = ['minute', 'day', 'month'];

/** When the window holding `time` began (ms since the epoch). */
export function windowStart(window: WindowName, time: number): number {
  if (window === 'minute') return time - (time % 60_000);
  const date = new Date(time);
  if (window === 'day') return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** When the window holding `time` ends and its allowance resets. */
export function windowEnd(window: WindowName, time: number): number {
  if (window === 'minute') return windowStart('minute', time) + 60_000;
  const date = new Date(time);
  if (window === 'day') return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}
