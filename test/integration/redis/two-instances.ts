import { hashApiKey } from '../../../src/auth/hash-api-key.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient, type ServerEvent, type TestClient } from '../../helpers/ws-test-client.ts';

/** The one user every request of these tests comes from, whichever instance it reaches. */
export const user = 'alice';
const userKey = 'sk-sluice-redis-alice-0001';

/** Where the instances of one test keep what they share. */
export interface SharedRedis {
  url: string;
  prefix: string;
}

/**
 * A raw config for an instance on the shared Redis, with `user` signing in by API key on `plan`
 * (a plan of `plans`): the same config for every instance, as behind a load balancer.
 */
export function sharedConfig(
  redis: SharedRedis,
  plan: string,
  rawConfig: Record<string, unknown>,
): Record<string, unknown> {
  return {
    ...rawConfig,
    auth: { api_keys: [{ hash: hashApiKey(userKey), user, plan }] },
    store: { backend: 'redis', redis: { url: redis.url, prefix: redis.prefix } },
  };
}

/**
 * Starts two Sluice instances on one config, runs `body` with them, then closes both (before the
 * test's Redis keys are cleaned, so that no instance writes after the cleanup).
 */
export async function withTwoInstances<T>(
  rawConfig: Record<string, unknown>,
  body: (a: TestSluice, b: TestSluice) => Promise<T>,
): Promise<T> {
  const a = await startTestSluice(rawConfig);
  try {
    const b = await startTestSluice(rawConfig);
    try {
      return await body(a, b);
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
}

/** A WebSocket client signed in as `user`, past its `ready`. */
export async function connectAsUser(sluice: TestSluice): Promise<TestClient> {
  const client = await connectTestClient(sluice.wsUrl, ['sluice.v1', `bearer.${userKey}`]);
  await client.next((event) => event.type === 'ready');
  return client;
}

/** What `GET /v1/usage` says `user` used, summed over its days and models, and what is left. */
export interface UsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  limits: Record<string, unknown>;
}

/** Reads `GET /v1/usage` on one instance as `user`. */
export async function usageOf(sluice: TestSluice): Promise<UsageTotals> {
  const response = await fetch(`${sluice.url}/v1/usage`, { headers: { authorization: `Bearer ${userKey}` } });
  if (response.status !== 200) throw new Error(`GET /v1/usage answered ${response.status}`);
  const body = (await response.json()) as {
    limits: Record<string, unknown>;
    usage: Array<{ requests: number; input_tokens: number; output_tokens: number; cost_usd: number }>;
  };
  const totals: UsageTotals = {
    requests: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    limits: body.limits,
  };
  for (const row of body.usage) {
    totals.requests += row.requests;
    totals.inputTokens += row.input_tokens;
    totals.outputTokens += row.output_tokens;
    totals.costUsd += row.cost_usd;
  }
  return totals;
}

/** The usage the `done` events report, summed: what the clients were told they were billed. */
export function servedUsage(terminals: readonly ServerEvent[]) {
  const done = terminals.filter((event) => event.type === 'done');
  const total = { requests: done.length, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  for (const event of done) {
    const usage = event.usage as { input_tokens: number; output_tokens: number; cost_usd?: number };
    total.inputTokens += usage.input_tokens;
    total.outputTokens += usage.output_tokens;
    total.costUsd += usage.cost_usd ?? 0;
  }
  return total;
}

/** The text of a request's deltas, in order. */
export function textOf(events: readonly ServerEvent[]): string {
  return events
    .filter((event) => event.type === 'delta')
    .map((event) => event.text)
    .join('');
}
