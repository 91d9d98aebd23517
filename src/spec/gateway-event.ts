import type { GatewayError } from '../errors/gateway-error.ts';
import type { FinishReason, OutputPart } from './stream-part.ts';

/** Usage as reported to clients and the ledger: counted by Sluice where the provider did not say. */
export interface ReportedUsage {
  inputTokens: number;
  outputTokens: number;
  /** True when any figure was counted by Sluice rather than reported by the provider. */
  estimated: boolean;
}

/** The pipeline's output for one request, which each door encodes in its own wire format. */
export type GatewayEvent =
  | { type: 'start'; model: string; provider: string; cached: boolean; warnings: string[] }
  | OutputPart
  | { type: 'done'; finishReason: FinishReason; usage: ReportedUsage; costUsd?: number; quota: QuotaState }
  | { type: 'error'; error: GatewayError; usage?: ReportedUsage };

/** What is left of the user's allowance, as the protocol names it (`tokens_left_today`, ...). */
export type QuotaState = Record<string, number>;
