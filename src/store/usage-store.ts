import type { WindowName } from './quota-windows.ts';

/** A limit on one window: tokens, dollars, or both. */
export interface WindowLimit {
  window: WindowName;
  tokens?: number;
  usd?: number;
}

/** What is left in each limited window, after everything settled and reserved. */
export interface WindowRemaining {
  window: WindowName;
  tokens?: number;
  usd?: number;
  /** When this window resets (ms since the epoch). */
  resetsAt: number;
}

/** The fields of a ledger row that describe the request. */
export interface RequestFacts {
  requestId: string;
  time: number;
  user: string;
  plan: string;
  model: string;
  provider?: string;
  upstreamModel?: string;
}

/** Per-token prices in US dollars. */
export interface TokenPrice {
  input: number;
  output: number;
}

/** Reserve what a request could use before it calls upstream. */
export interface ReservationRequest extends RequestFacts {
  limits: readonly WindowLimit[];
  inputTokens: number;
  /** The output tokens the request asks for (already capped by the plan). */
  wantedOutputTokens: number;
  /** Fewer grantable output tokens than this (or than wanted, if smaller) refuses the request. */
  minOutputTokens: number;
  price: TokenPrice;
}

export type ReservationResult =
  | { granted: true; outputTokens: number; remaining: WindowRemaining[] }
  | { granted: false; retryAfterMs: number; window: WindowName; remaining: WindowRemaining[] };

/** The true usage a request ended with. */
export interface SettledUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  cached: boolean;
  outcome: string;
  ttftMs?: number;
  durationMs: number;
  /** The target that answered, when the reservation could not name it yet. */
  provider?: string;
  upstreamModel?: string;
}

/**
 * One row of usage by day and model: what the quotas charge. A request that never settled (still
 * running, or interrupted by a crash) counts at its reservation: its input tokens, the output tokens
 * it was granted, and their cost at the reserved price.
 */
export interface UsageRow {
  day: string;
  user?: string;
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** How many of `requests` count at their reservation because they never settled. */
  unsettledRequests: number;
}

/**
 * Quota state and the usage ledger. `reserve` checks every window and books the request's worst case
 * in one atomic step, so concurrent requests can never together overspend; `settle` replaces the
 * booking by the true usage. Every request that reserved, or was refused, is one durable row.
 */
export interface UsageStore {
  reserve(request: ReservationRequest): Promise<ReservationResult>;
  /** Books the true usage of a reserved request; returns what is left. */
  settle(requestId: string, usage: SettledUsage): Promise<WindowRemaining[]>;
  /** Records a request that never reserved (refused before the quota step). */
  recordRefusal(facts: RequestFacts, outcome: string): Promise<void>;
  remaining(user: string, limits: readonly WindowLimit[], now: number): Promise<WindowRemaining[]>;
  /** A user's usage (or everyone's, without `user`) by day and model since `since`. */
  usageByDay(since: number, user?: string): Promise<UsageRow[]>;
  close(): Promise<void>;
}
