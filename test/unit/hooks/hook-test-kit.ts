import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { HookRequestContext } from '../../../src/hooks/create-hook-runner.ts';
import { hooksConfigSchema } from '../../../src/hooks/hook-config-schema.ts';
import type { StreamTransform } from '../../../src/hooks/hook-types.ts';
import type { ChatRequest } from '../../../src/spec/chat-request.ts';
import type { OutputPart } from '../../../src/spec/stream-part.ts';

/** The directory custom hook paths in these tests are relative to. */
export const fixturesDirectory = fileURLToPath(new URL('../../fixtures/hooks/', import.meta.url));

/** A logger whose lines are kept, parsed. */
export function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

/** Parses a raw `hooks` list as the config loader would. */
export const hookEntries = (raw: unknown[]) => hooksConfigSchema.parse(raw);

/** A request context for the hook runner, with a fresh signal unless one is given. */
export function requestContext(
  request: Partial<ChatRequest> = {},
  overrides: Partial<HookRequestContext> = {},
): HookRequestContext {
  return {
    requestId: 'req_hooks_1',
    identity: { user: 'alice', plan: 'pro', kind: 'api_key', admin: false },
    request: { id: 'c1', model: 'demo', messages: [{ role: 'user', content: 'Hi' }], ...request },
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    ...overrides,
  };
}

/** Text deltas with the given texts. */
export const textParts = (...texts: string[]): OutputPart[] =>
  texts.map((text) => ({ type: 'text-delta', text }));

/** The text of the text deltas among `parts`, joined. */
export const textOf = (parts: OutputPart[]) =>
  parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');

/** Pushes every part through the transform, then flushes it; returns everything it passed on. */
export function runThrough(transform: StreamTransform, parts: OutputPart[]): OutputPart[] {
  return [...parts.flatMap((part) => transform.push(part)), ...transform.flush()];
}
