import type { Logger } from 'pino';
import { GatewayError } from '../errors/gateway-error.ts';
import type { HookStage } from './hook-types.ts';
import { TimeoutError } from './run-with-timeout.ts';

/** Which hook failed, as the handling of its failure needs to know. */
export interface FailingHook {
  name: string;
  failOpen: boolean;
}

/** Logs a hook that threw or timed out, with its cause (the client only learns which hook failed). */
export function logHookFailure(hook: FailingHook, error: unknown, log: Logger, stage: HookStage): void {
  const details = { hook: hook.name, stage, err: error };
  if (hook.failOpen) log.warn(details, 'hook failed; skipped (fail_open)');
  else log.error(details, 'hook failed');
}

/**
 * Handles a hook that threw or timed out: a fail-open hook is skipped (returns normally), any other
 * fails the request with `internal` naming the hook (throws); either way the failure is logged.
 */
export function handleHookFailure(hook: FailingHook, error: unknown, log: Logger, stage: HookStage): void {
  logHookFailure(hook, error, log, stage);
  if (hook.failOpen) return;
  const reason = error instanceof TimeoutError ? `: ${error.message}` : '';
  throw new GatewayError('internal', `hook "${hook.name}" failed${reason}`, { cause: error });
}
