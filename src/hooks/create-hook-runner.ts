import type { Logger } from 'pino';
import type { Identity } from '../auth/identity.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ChatRequest } from '../spec/chat-request.ts';
import type { RequestSummary } from '../spec/request-observer.ts';
import { type CheckedPreResult, checkStreamTransform, readPreResult } from './check-hook-result.ts';
import { composeStreamTransforms, type StreamStage } from './compose-stream-transforms.ts';
import { handleHookFailure, logHookFailure } from './handle-hook-failure.ts';
import type { HookEntry } from './hook-config-schema.ts';
import type { HookContext, StreamTransform } from './hook-types.ts';
import { type LoadedHook, loadHooks } from './load-hooks.ts';
import { runWithTimeout } from './run-with-timeout.ts';

/** One request as the pipeline hands it to the hooks; `runPre` replaces `request` with the changed one. */
export interface HookRequestContext {
  requestId: string;
  identity: Identity;
  request: ChatRequest;
  log: Logger;
  /** The request's signal: aborted when the client cancels or leaves. */
  signal: AbortSignal;
}

/** Runs the configured hooks at each stage of a request. */
export interface HookRunner {
  /**
   * Runs the `pre` hooks in order, each seeing the request as the ones before it left it, and leaves the
   * result in `context.request`. Rejects with the code a hook refused the request with, with `internal`
   * when a hook throws or times out (unless it is fail-open), or with the signal's reason when it aborts.
   */
  runPre(context: HookRequestContext): Promise<void>;
  /**
   * The request's output transform, every stream hook chained in order; `undefined` when no hook joins
   * the stream, so a stream without hooks costs nothing. Its `push` throws a GatewayError `internal`
   * naming the hook when a hook that is not fail-open throws.
   */
  streamTransform(context: HookRequestContext): StreamTransform | undefined;
  /** Runs the `done` hooks in order, after the client got its last event; never rejects (failures are logged). */
  runDone(context: HookRequestContext, summary: RequestSummary): Promise<void>;
}

export interface HookRunnerOptions {
  /** The config file's directory: hook module paths are relative to it. */
  baseDirectory: string;
  log: Logger;
}

/** The view of the request one hook gets, with a logger naming it and its own signal. */
function contextFor(hook: LoadedHook, context: HookRequestContext, signal: AbortSignal): HookContext {
  return {
    requestId: context.requestId,
    identity: context.identity,
    request: context.request,
    log: context.log.child({ hook: hook.name }),
    signal,
  };
}

/** Applies the `pre` hooks to the request in `context`. */
async function runPreHooks(hooks: readonly LoadedHook[], context: HookRequestContext): Promise<void> {
  for (const loaded of hooks) {
    context.signal.throwIfAborted();
    let result: CheckedPreResult;
    try {
      const returned = await runWithTimeout(
        (signal) => loaded.hook.pre!(contextFor(loaded, context, signal)),
        {
          timeoutMs: loaded.timeoutMs,
          signal: context.signal,
        },
      );
      result = readPreResult(returned, !loaded.trusted);
    } catch (error) {
      if (context.signal.aborted) throw context.signal.reason;
      handleHookFailure(loaded, error, context.log, 'pre');
      continue;
    }
    if (result.kind === 'rejection') throw new GatewayError(result.code, result.message);
    if (result.kind === 'changes') context.request = { ...context.request, ...result.changes };
  }
}

/** Makes one request's chained stream transform, or `undefined` when every stream hook stays out of it. */
function startStream(hooks: readonly LoadedHook[], context: HookRequestContext): StreamTransform | undefined {
  const stages: StreamStage[] = [];
  for (const loaded of hooks) {
    let transform: StreamTransform | undefined;
    try {
      const made = loaded.hook.stream!(contextFor(loaded, context, context.signal));
      transform = loaded.trusted ? made : checkStreamTransform(made);
    } catch (error) {
      handleHookFailure(loaded, error, context.log, 'stream');
      continue;
    }
    if (transform) {
      const { name, failOpen, trusted } = loaded;
      stages.push({ name, failOpen, trusted, transform, log: context.log.child({ hook: name }) });
    }
  }
  return stages.length === 0 ? undefined : composeStreamTransforms(stages);
}

/** Runs the `done` hooks; a failure is logged and the next hook still runs. */
async function runDoneHooks(
  hooks: readonly LoadedHook[],
  context: HookRequestContext,
  summary: RequestSummary,
): Promise<void> {
  for (const loaded of hooks) {
    // The request's own signal has usually fired by now (the client left), so only the hook's time limit
    // applies; and the client has its answer already, so a failing done hook is only logged.
    await runWithTimeout((signal) => loaded.hook.done!(contextFor(loaded, context, signal), summary), {
      timeoutMs: loaded.timeoutMs,
    }).catch((error: unknown) => logHookFailure(loaded, error, context.log, 'done'));
  }
}

/**
 * Loads the configured hooks (importing custom modules) and returns their runner. Each stage's list of
 * hooks is worked out here, once, so a stage no hook joins is skipped without a cost on every request.
 */
export async function createHookRunner(
  entries: readonly HookEntry[],
  { baseDirectory, log }: HookRunnerOptions,
): Promise<HookRunner> {
  const hooks = await loadHooks(entries, baseDirectory);
  const pre = hooks.filter((loaded) => loaded.hook.pre);
  const stream = hooks.filter((loaded) => loaded.hook.stream);
  const done = hooks.filter((loaded) => loaded.hook.done);
  if (hooks.length > 0) {
    const names = (list: LoadedHook[]) => list.map((loaded) => loaded.name);
    log.info({ pre: names(pre), stream: names(stream), done: names(done) }, 'hooks loaded');
  }
  return {
    runPre: pre.length === 0 ? () => Promise.resolve() : (context) => runPreHooks(pre, context),
    streamTransform: stream.length === 0 ? () => undefined : (context) => startStream(stream, context),
    runDone:
      done.length === 0
        ? () => Promise.resolve()
        : (context, summary) => runDoneHooks(done, context, summary),
  };
}
