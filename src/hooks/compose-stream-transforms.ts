import type { Logger } from 'pino';
import type { OutputPart } from '../spec/stream-part.ts';
import { checkOutputParts } from './check-hook-result.ts';
import { handleHookFailure } from './handle-hook-failure.ts';
import type { StreamTransform } from './hook-types.ts';

/** One stream hook's transform for one request, with what handling its failure needs. */
export interface StreamStage {
  name: string;
  failOpen: boolean;
  /** When false, what the transform returns is checked before it is passed on. */
  trusted: boolean;
  log: Logger;
  transform: StreamTransform;
}

/**
 * Wraps one stage so a throw fails the request with `internal` naming the hook, or, for a fail-open
 * hook, takes the hook out of the stream for the rest of the request: the text it held is released and
 * parts pass through untransformed.
 */
function guardStage(stage: StreamStage): StreamTransform {
  const { transform, trusted } = stage;
  let bypassed = false;
  const checked = (parts: OutputPart[]) => (trusted ? parts : checkOutputParts(parts));
  const fail = (error: unknown) => {
    handleHookFailure(stage, error, stage.log, 'stream');
    bypassed = true;
  };
  const releaseHeld = (): OutputPart[] => {
    try {
      return checked(transform.flush());
    } catch {
      return [];
    }
  };
  return {
    push(part) {
      if (bypassed) return [part];
      try {
        return checked(transform.push(part));
      } catch (error) {
        fail(error);
        return [...releaseHeld(), part];
      }
    },
    flush() {
      if (bypassed) return [];
      try {
        return checked(transform.flush());
      } catch (error) {
        fail(error);
        return [];
      }
    },
  };
}

const pushAll = (transform: StreamTransform, parts: OutputPart[]): OutputPart[] =>
  parts.length === 1 ? transform.push(parts[0]!) : parts.flatMap((part) => transform.push(part));

/**
 * Chains stream transforms in order: each part goes through the first, whatever that passes on goes
 * through the second, and so on; on flush, each stage's held parts still pass through the stages after it.
 */
export function composeStreamTransforms(stages: readonly StreamStage[]): StreamTransform {
  const guarded = stages.map(guardStage);
  if (guarded.length === 1) return guarded[0]!;
  return {
    push(part) {
      let parts = [part];
      for (const transform of guarded) parts = pushAll(transform, parts);
      return parts;
    },
    flush() {
      let parts: OutputPart[] = [];
      for (const transform of guarded) parts = [...pushAll(transform, parts), ...transform.flush()];
      return parts;
    },
  };
}
