import type { GatewayError } from '../errors/gateway-error.ts';
import type { Usage } from './usage.ts';

/** Why a completion ended, in the protocol's words. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'cancelled' | 'quota';

/** A fragment of a tool call; the arguments arrive as JSON text split across many deltas. */
export interface ToolCallDelta {
  type: 'tool-call-delta';
  index: number;
  id?: string;
  name?: string;
  argumentsDelta: string;
}

/**
 * One event of a normalized provider stream. Every provider adapter turns its upstream's
 * wire format into these, so nothing past `providers/` knows which provider answered.
 * A well-formed stream holds at most one `finish` or one `error`, and it comes last.
 */
export type StreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'reasoning-delta'; text: string }
  | ToolCallDelta
  | { type: 'finish'; finishReason: FinishReason; usage: Usage }
  | { type: 'error'; error: GatewayError; usage?: Usage };

/** The parts that carry output to the client (everything but the terminal parts). */
export type OutputPart = Extract<StreamPart, { type: 'text-delta' | 'reasoning-delta' | 'tool-call-delta' }>;
