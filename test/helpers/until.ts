import { setTimeout as wait } from 'node:timers/promises';

/**
 * Resolves once `condition` holds, checking every few milliseconds: a wait for a state that has no
 * event to await, never an assertion on time.
 */
export async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await wait(10);
}
