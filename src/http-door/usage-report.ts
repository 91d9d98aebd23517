import type { Identity } from '../auth/identity.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Gateway } from '../pipeline/create-gateway.ts';
import type { UsageRow } from '../store/usage-store.ts';

const dayMs = 86_400_000;

function toWire(row: UsageRow, withUser: boolean) {
  return {
    day: row.day,
    ...(withUser ? { user: row.user } : {}),
    model: row.model,
    requests: row.requests,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cost_usd: Number(row.costUsd.toFixed(8)),
    unsettled_requests: row.unsettledRequests,
  };
}

/**
 * `GET /v1/usage`: the caller's usage by day and model over the last `days` (default 30) with its
 * remaining allowance. An admin may name any `user`, or omit it for everyone's rows and totals. The
 * figures are what the quotas charge: `unsettled_requests` of a row's requests (still running, or
 * interrupted by a crash) count at their whole reservation, as the remaining allowance does.
 */
export async function usageReport(gateway: Gateway, identity: Identity, query: URLSearchParams) {
  const days = Number(query.get('days') ?? 30);
  if (!Number.isInteger(days) || days < 1 || days > 366) {
    throw new GatewayError('bad_request', 'days must be a whole number from 1 to 366');
  }
  const since = Date.now() - (days - 1) * dayMs;
  const sinceDayStart = since - (since % dayMs);
  const requested = query.get('user') ?? undefined;
  if (!identity.admin) {
    if (requested !== undefined && requested !== identity.user) {
      throw new GatewayError('forbidden', "only an admin may read another user's usage");
    }
    const rows = await gateway.store.usageByDay(sinceDayStart, identity.user);
    return {
      user: identity.user,
      limits: await gateway.limitsOf(identity),
      usage: rows.map((row) => toWire(row, false)),
    };
  }
  const rows = await gateway.store.usageByDay(sinceDayStart, requested);
  const totals = { requests: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, unsettled_requests: 0 };
  for (const row of rows) {
    totals.requests += row.requests;
    totals.input_tokens += row.inputTokens;
    totals.output_tokens += row.outputTokens;
    totals.cost_usd += row.costUsd;
    totals.unsettled_requests += row.unsettledRequests;
  }
  totals.cost_usd = Number(totals.cost_usd.toFixed(8));
  return { user: requested ?? null, usage: rows.map((row) => toWire(row, true)), totals };
}
