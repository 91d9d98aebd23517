import { z } from 'zod';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import type { FinishReason, OutputPart, StreamPart } from '../../src/spec/stream-part.ts';
import { unknownUsage } from '../../src/spec/usage.ts';
import {
  isJsonPointer,
  type JsonPointerLookup,
  lookupJsonPointer,
  parseJsonPointer,
} from './json-pointer.ts';
import { mapFinishReason } from './map-finish-reason.ts';

/** A config field holding an RFC 6901 JSON pointer. */
export const jsonPointerSchema = z
  .string()
  .refine(
    isJsonPointer,
    'must be a JSON pointer: "" for the whole message, or like "/choices/0/delta/content"',
  );

/**
 * The config fields that say where a generic upstream puts things in each JSON message; shared by
 * the `sse` and `websocket` kinds.
 */
export const upstreamMessagePathsSchema = z.object({
  /** Where the text delta is; `""` means the whole message is plain text (unless it is a JSON object or array). */
  text_path: jsonPointerSchema,
  reasoning_path: jsonPointerSchema.optional(),
  finish_reason_path: jsonPointerSchema.optional(),
  /** Usage is looked for in every message; the last value seen wins. */
  input_tokens_path: jsonPointerSchema.optional(),
  output_tokens_path: jsonPointerSchema.optional(),
  /** A message whose JSON has this member is an upstream error. */
  error_path: jsonPointerSchema.optional(),
  /** Where an error message's human-readable text is; without it, the error member itself (or the whole data). */
  error_message_path: jsonPointerSchema.optional(),
});

type UpstreamMessagePaths = z.infer<typeof upstreamMessagePathsSchema>;

/** One upstream message, read through the configured pointers. */
export interface UpstreamMessage {
  /** The message parsed as JSON; not found when it is not JSON. */
  document: JsonPointerLookup;
  /** The text and reasoning deltas it carries, in stream order. */
  parts: OutputPart[];
  /** The error it reports, when it matched `error_path`. */
  error: GatewayError | undefined;
}

/** Reads a generic upstream's messages and remembers the finish reason and usage seen so far. */
export interface UpstreamMessageReader {
  read(data: string): UpstreamMessage;
  /** The human-readable text of an error message or body: at `error_message_path` when set and present, else the data itself. */
  describeError(data: string): string;
  /** Whether any message has named a finish reason yet. */
  readonly hasFinishReason: boolean;
  /** The terminal part: the last finish reason seen (`stop` when none was) and the last usage seen. */
  finish(): StreamPart;
}

const longestErrorDetail = 500;

function parseJson(data: string): JsonPointerLookup {
  try {
    return { found: true, value: JSON.parse(data) };
  } catch {
    return { found: false };
  }
}

function isStructured(value: unknown): boolean {
  return value !== null && typeof value === 'object';
}

function compile(pointer: string | undefined): readonly string[] | undefined {
  return pointer === undefined ? undefined : parseJsonPointer(pointer);
}

function valueAt(document: JsonPointerLookup, pointer: readonly string[] | undefined): unknown {
  if (!document.found || pointer === undefined) return undefined;
  const lookup = lookupJsonPointer(document.value, pointer);
  return lookup.found ? lookup.value : undefined;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The error for a failure the upstream reported in its stream; another target may well succeed. */
export function upstreamReportedError(description: string): GatewayError {
  return new GatewayError('upstream_error', `upstream reported an error: ${description}`, {
    retryable: true,
  });
}

/** Creates a reader for one stream (it keeps that stream's usage and finish reason). */
export function createUpstreamMessageReader(paths: UpstreamMessagePaths): UpstreamMessageReader {
  const textPointer = parseJsonPointer(paths.text_path);
  const reasoning = compile(paths.reasoning_path);
  const finishReasonPointer = compile(paths.finish_reason_path);
  const inputTokens = compile(paths.input_tokens_path);
  const outputTokens = compile(paths.output_tokens_path);
  const errorPointer = compile(paths.error_path);
  const errorMessage = compile(paths.error_message_path);
  const usage = unknownUsage();
  let finishReason: FinishReason | undefined;

  function describe(document: JsonPointerLookup, detail: unknown): string {
    const described = valueAt(document, errorMessage) ?? detail;
    const text = typeof described === 'string' ? described : JSON.stringify(described);
    return text.slice(0, longestErrorDetail);
  }

  function textOf(data: string, document: JsonPointerLookup): string | undefined {
    if (textPointer.length > 0) return nonEmptyString(valueAt(document, textPointer));
    // A plain-text upstream's chunk such as `42` or `"hi"` happens to parse as JSON but is still text.
    const structured = document.found && isStructured(document.value);
    return structured ? undefined : nonEmptyString(data);
  }

  return {
    read(data) {
      const document = parseJson(data);
      if (errorPointer !== undefined && document.found) {
        const lookup = lookupJsonPointer(document.value, errorPointer);
        if (lookup.found) {
          return { document, parts: [], error: upstreamReportedError(describe(document, lookup.value)) };
        }
      }
      const parts: OutputPart[] = [];
      const reasoningText = nonEmptyString(valueAt(document, reasoning));
      if (reasoningText !== undefined) parts.push({ type: 'reasoning-delta', text: reasoningText });
      const textDelta = textOf(data, document);
      if (textDelta !== undefined) parts.push({ type: 'text-delta', text: textDelta });
      const reason = nonEmptyString(valueAt(document, finishReasonPointer));
      if (reason !== undefined) finishReason = mapFinishReason(reason);
      usage.inputTokens = tokenCount(valueAt(document, inputTokens)) ?? usage.inputTokens;
      usage.outputTokens = tokenCount(valueAt(document, outputTokens)) ?? usage.outputTokens;
      return { document, parts, error: undefined };
    },
    describeError(data) {
      return describe(parseJson(data), data);
    },
    get hasFinishReason() {
      return finishReason !== undefined;
    },
    finish() {
      return { type: 'finish', finishReason: finishReason ?? 'stop', usage: { ...usage } };
    },
  };
}
