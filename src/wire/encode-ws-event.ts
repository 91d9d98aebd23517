import type { GatewayError } from '../errors/gateway-error.ts';
import type { ReportedUsage } from '../spec/gateway-event.ts';
import type { FinishReason, OutputPart } from '../spec/stream-part.ts';

/** The wire form of usage in `done` (docs/protocol.md); `cost_usd` when the model is priced. */
export function encodeUsage(usage: ReportedUsage, costUsd?: number): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
  };
  if (costUsd !== undefined) wire.cost_usd = Number(costUsd.toFixed(8));
  return wire;
}

/** `ready`: sent once, right after the upgrade. */
export function encodeReady(user: string, models: string[], limits: Record<string, unknown>): string {
  return JSON.stringify({ type: 'ready', protocol: 'sluice.v1', user, limits, models });
}

/** `start`: the upstream (or the cache) answered; `warnings` lists parameters Sluice changed. */
export function encodeStart(
  id: string,
  model: string,
  provider: string,
  cached: boolean,
  warnings: string[],
): string {
  const event: Record<string, unknown> = { type: 'start', id, model, provider, cached };
  if (warnings.length > 0) event.warnings = warnings;
  return JSON.stringify(event);
}

/**
 * Encodes one request's `delta` frames. The part of the frame that never changes (type and id) is
 * encoded once per request rather than once per token: this runs for every token relayed.
 */
export function createDeltaEncoder(id: string): (seq: number, part: OutputPart) => string {
  const head = `{"type":"delta","id":${JSON.stringify(id)},"seq":`;
  return (seq, part) => {
    if (part.type === 'text-delta') return `${head}${seq},"text":${JSON.stringify(part.text)}}`;
    if (part.type === 'reasoning-delta') return `${head}${seq},"reasoning":${JSON.stringify(part.text)}}`;
    const toolCall: Record<string, unknown> = { index: part.index };
    if (part.id !== undefined) toolCall.id = part.id;
    if (part.name !== undefined) toolCall.name = part.name;
    toolCall.arguments = part.argumentsDelta;
    return `${head}${seq},"tool_call":${JSON.stringify(toolCall)}}`;
  };
}

/** `done`: the request ended normally, by cancel, or at the user's limit. */
export function encodeDone(
  id: string,
  seq: number,
  finishReason: FinishReason,
  usage: ReportedUsage,
  costUsd: number | undefined,
  quota: Record<string, unknown>,
): string {
  const wireUsage = encodeUsage(usage, costUsd);
  return JSON.stringify({ type: 'done', id, seq, finish_reason: finishReason, usage: wireUsage, quota });
}

/** `error`: a request (with `id`) or a frame (without) failed. */
export function encodeError(error: GatewayError, id?: string): string {
  const event: Record<string, unknown> = { type: 'error' };
  if (id !== undefined) event.id = id;
  event.code = error.code;
  event.message = error.message;
  if (error.retryAfterMs !== undefined) event.retry_after_ms = error.retryAfterMs;
  return JSON.stringify(event);
}
