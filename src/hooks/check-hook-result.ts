import { z } from 'zod';
import { type ErrorCode, httpStatusOf } from '../errors/gateway-error.ts';
import type { OutputPart } from '../spec/stream-part.ts';
import type { PreHookChanges, PreHookRejection, StreamTransform } from './hook-types.ts';

const errorCodes = Object.keys(httpStatusOf) as [ErrorCode, ...ErrorCode[]];

const messageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
  toolCalls: z
    .array(
      z.object({
        id: z.string(),
        type: z.literal('function'),
        function: z.object({ name: z.string(), arguments: z.string() }),
      }),
    )
    .optional(),
  toolCallId: z.string().optional(),
  name: z.string().optional(),
});

const changesSchema = z.strictObject({
  messages: z.array(messageSchema).min(1).optional(),
  maxTokens: z.number().int().min(1).optional(),
  temperature: z.number().min(0).optional(),
  topP: z.number().min(0).max(1).optional(),
  stop: z.array(z.string()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

const rejectionSchema = z.strictObject({
  reject: z.strictObject({
    code: z.enum(errorCodes).default('bad_request'),
    message: z.string().min(1),
  }),
});

/** What a `pre` hook returned, checked: a custom module's mistake is caught here, not deep in a provider. */
export type CheckedPreResult =
  | { kind: 'none' }
  | { kind: 'changes'; changes: PreHookChanges }
  | { kind: 'rejection'; code: ErrorCode; message: string };

/** Reads a `pre` hook's return value; `check` validates it (for modules that are not built in). Throws when invalid. */
export function readPreResult(value: unknown, check: boolean): CheckedPreResult {
  if (value === undefined || value === null) return { kind: 'none' };
  if (typeof value === 'object' && Object.hasOwn(value, 'reject')) {
    const { reject } = check ? rejectionSchema.parse(value) : (value as PreHookRejection);
    return { kind: 'rejection', code: reject.code ?? 'bad_request', message: reject.message };
  }
  return { kind: 'changes', changes: check ? changesSchema.parse(value) : (value as PreHookChanges) };
}

const isOutputPart = (value: unknown): value is OutputPart => {
  if (typeof value !== 'object' || value === null) return false;
  const part = value as Record<string, unknown>;
  if (part.type === 'text-delta' || part.type === 'reasoning-delta') return typeof part.text === 'string';
  return (
    part.type === 'tool-call-delta' &&
    typeof part.index === 'number' &&
    typeof part.argumentsDelta === 'string'
  );
};

/** Throws unless a stream hook's `push` or `flush` returned an array of output parts. */
export function checkOutputParts(value: unknown): OutputPart[] {
  if (!Array.isArray(value) || !value.every(isOutputPart)) {
    throw new TypeError('a stream transform must return an array of text, reasoning or tool-call parts');
  }
  return value;
}

/** Throws unless a hook's `stream` returned a transform (or `undefined`). */
export function checkStreamTransform(value: unknown): StreamTransform | undefined {
  if (value === undefined) return undefined;
  const transform = value as Partial<StreamTransform> | null;
  if (typeof transform?.push !== 'function' || typeof transform.flush !== 'function') {
    throw new TypeError('`stream` must return { push(part), flush() } or undefined');
  }
  return transform as StreamTransform;
}
