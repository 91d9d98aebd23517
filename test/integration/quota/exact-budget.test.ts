import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type MeteredUpstream, startMeteredUpstream } from '../../fakes/metered-openai-upstream.ts';
import {
  fireMeteredRequests,
  meteredInputTokens,
  meteredMaxTokens,
  meteredMessages,
  meteredRequestTokens,
} from '../../helpers/metered-requests.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient, type ServerEvent } from '../../helpers/ws-test-client.ts';

const messages = meteredMessages;
const inputTokens = meteredInputTokens;
const maxTokens = meteredMaxTokens;
const perRequestTokens = meteredRequestTokens;

/** Fires `count` concurrent requests from one user over four connections. */
async function fireConcurrently(wsUrl: string, count: number): Promise<ServerEvent[]> {
  const clients = await Promise.all(Array.from({ length: 4 }, () => connectTestClient(wsUrl)));
  return fireMeteredRequests(clients, count);
}

describe('quota: a budget holds exactly under 100 concurrent requests', () => {
  let upstream: MeteredUpstream;
  before(async () => {
    upstream = await startMeteredUpstream({ replyTokens: maxTokens });
  });
  after(() => upstream.close());

  function configFor(plan: Record<string, unknown>) {
    return {
      providers: { upstream: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      // Identical requests would share one call; here each must be its own billed call.
      models: { metered: { target: { provider: 'upstream', model: 'metered-1' }, coalesce: false } },
      pricing: { 'metered-1': { input_per_million: 1, output_per_million: 2 } },
      plans: { default: plan },
    };
  }

  it('serves the 10 requests a token budget fits, bills no more, and refuses the 90 others', async () => {
    upstream.billed.length = 0;
    const budget = 10 * perRequestTokens;
    const sluice: TestSluice = await startTestSluice(configFor({ tokens_per_day: budget }));
    try {
      const terminals = await fireConcurrently(sluice.wsUrl, 100);
      const done = terminals.filter((event) => event.type === 'done');
      const refused = terminals.filter((event) => event.type === 'error');
      assert.equal(done.length, 10);
      assert.equal(refused.length, 90);
      for (const error of refused) {
        assert.equal(error.code, 'quota_exceeded');
        assert.ok(Number(error.retry_after_ms) > 0);
      }
      const billedTokens = upstream.billed.reduce(
        (sum, call) => sum + call.promptTokens + call.completionTokens,
        0,
      );
      assert.equal(upstream.billed.length, 10, 'only admitted requests reach the provider');
      assert.ok(billedTokens <= budget, `billed ${billedTokens} tokens of a ${budget} budget`);
    } finally {
      await sluice.close();
    }
  });

  it('holds a money budget the same way', async () => {
    upstream.billed.length = 0;
    const perRequestUsd = (inputTokens * 1 + maxTokens * 2) / 1e6;
    const budget = Number((10 * perRequestUsd).toFixed(9));
    const sluice = await startTestSluice(configFor({ usd_per_day: budget }));
    try {
      const terminals = await fireConcurrently(sluice.wsUrl, 100);
      assert.equal(terminals.filter((event) => event.type === 'done').length, 10);
      assert.ok(
        terminals.filter((event) => event.type === 'error').every((event) => event.code === 'quota_exceeded'),
      );
      const billedUsd = upstream.billed.reduce(
        (sum, call) => sum + (call.promptTokens * 1 + call.completionTokens * 2) / 1e6,
        0,
      );
      assert.ok(billedUsd <= budget + 1e-12, `billed $${billedUsd} of a $${budget} budget`);
      const costs = terminals
        .filter((event) => event.type === 'done')
        .map((event) => (event.usage as { cost_usd: number }).cost_usd);
      assert.ok(
        costs.every((cost) => Math.abs(cost - perRequestUsd) < 1e-9),
        'each done reports its cost',
      );
    } finally {
      await sluice.close();
    }
  });

  it('reports the remaining allowance in ready and in every done', async () => {
    const sluice = await startTestSluice(configFor({ tokens_per_day: 10_000, tokens_per_month: 50_000 }));
    try {
      const client = await connectTestClient(sluice.wsUrl);
      const ready = await client.next();
      assert.deepEqual(ready.limits, {
        plan: 'default',
        tokens_per_day: 10_000,
        tokens_per_month: 50_000,
        tokens_left_today: 10_000,
        tokens_left_month: 50_000,
      });
      client.send({ type: 'chat', id: 'one', model: 'metered', messages, max_tokens: maxTokens });
      const done = (await client.collect('one')).at(-1)!;
      const used = perRequestTokens;
      assert.deepEqual(done.usage, {
        input_tokens: inputTokens,
        output_tokens: maxTokens,
        cost_usd: (inputTokens + 2 * maxTokens) / 1e6,
      });
      assert.deepEqual(done.quota, { tokens_left_today: 10_000 - used, tokens_left_month: 50_000 - used });
      await client.close();
    } finally {
      await sluice.close();
    }
  });
});
