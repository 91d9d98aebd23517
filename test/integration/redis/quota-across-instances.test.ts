import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type MeteredUpstream, startMeteredUpstream } from '../../fakes/metered-openai-upstream.ts';
import {
  fireMeteredRequests,
  meteredInputTokens,
  meteredMaxTokens,
  meteredRequestTokens,
} from '../../helpers/metered-requests.ts';
import { connectTestRedis, type RedisTestConnection } from '../../helpers/redis-test-connection.ts';
import type { TestSluice } from '../../helpers/start-test-sluice.ts';
import type { ServerEvent } from '../../helpers/ws-test-client.ts';
import { connectAsUser, servedUsage, sharedConfig, usageOf, withTwoInstances } from './two-instances.ts';

const inputTokens = meteredInputTokens;
const maxTokens = meteredMaxTokens;
const perRequestTokens = meteredRequestTokens;
const price = { input_per_million: 1, output_per_million: 2 };
const perRequestUsd = (inputTokens * price.input_per_million + maxTokens * price.output_per_million) / 1e6;

/** Fires `count` concurrent requests from one user, half on each instance (two connections each). */
async function fireAcrossInstances(instances: TestSluice[], count: number): Promise<ServerEvent[]> {
  const clients = await Promise.all([...instances, ...instances].map((sluice) => connectAsUser(sluice)));
  return fireMeteredRequests(clients, count);
}

describe('quota across two instances: one budget under 100 concurrent requests split across both', () => {
  let upstream: MeteredUpstream;
  before(async () => {
    upstream = await startMeteredUpstream({ replyTokens: maxTokens });
  });
  after(() => upstream.close());

  function configFor(redis: RedisTestConnection, plan: Record<string, unknown>) {
    return sharedConfig(redis, 'metered', {
      providers: { upstream: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      // Identical requests would share one call; here each must be its own billed call.
      models: { metered: { target: { provider: 'upstream', model: 'metered-1' }, coalesce: false } },
      pricing: { 'metered-1': price },
      plans: { metered: plan },
    });
  }

  it('serves the 10 requests a token budget fits, bills no more, refuses the 90 others, and both instances report the same usage', async (t) => {
    const redis = await connectTestRedis(t);
    if (!redis) return;
    upstream.billed.length = 0;
    const budget = 10 * perRequestTokens;
    await withTwoInstances(configFor(redis, { tokens_per_day: budget }), async (a, b) => {
      const terminals = await fireAcrossInstances([a, b], 100);
      const done = terminals.filter((event) => event.type === 'done');
      const refused = terminals.filter((event) => event.type === 'error');
      assert.equal(done.length, 10);
      assert.equal(refused.length, 90);
      for (const error of refused) {
        assert.equal(error.code, 'quota_exceeded');
        assert.ok(Number(error.retry_after_ms) > 0);
      }

      assert.equal(upstream.billed.length, 10, 'only admitted requests reach the provider');
      const billedTokens = upstream.billed.reduce(
        (sum, call) => sum + call.promptTokens + call.completionTokens,
        0,
      );
      assert.ok(billedTokens <= budget, `the provider billed ${billedTokens} tokens of a ${budget} budget`);
      const served = servedUsage(terminals);
      assert.equal(served.inputTokens + served.outputTokens, billedTokens, 'done reports what was billed');

      for (const sluice of [a, b]) {
        const usage = await usageOf(sluice);
        assert.equal(usage.requests, 10);
        assert.equal(usage.inputTokens, served.inputTokens);
        assert.equal(usage.outputTokens, served.outputTokens);
        assert.equal(usage.limits.tokens_left_today, budget - billedTokens);
      }
    });
  });

  it('holds a money budget the same way', async (t) => {
    const redis = await connectTestRedis(t);
    if (!redis) return;
    upstream.billed.length = 0;
    const budget = Number((10 * perRequestUsd).toFixed(9));
    await withTwoInstances(configFor(redis, { usd_per_day: budget }), async (a, b) => {
      const terminals = await fireAcrossInstances([a, b], 100);
      assert.equal(terminals.filter((event) => event.type === 'done').length, 10);
      assert.ok(
        terminals.filter((event) => event.type === 'error').every((event) => event.code === 'quota_exceeded'),
      );
      const billedUsd = upstream.billed.reduce(
        (sum, call) =>
          sum +
          (call.promptTokens * price.input_per_million + call.completionTokens * price.output_per_million) /
            1e6,
        0,
      );
      assert.ok(billedUsd <= budget + 1e-12, `the provider billed $${billedUsd} of a $${budget} budget`);
      const served = servedUsage(terminals);
      assert.ok(Math.abs(served.costUsd - billedUsd) < 1e-9, 'done reports what was billed');
      for (const sluice of [a, b]) {
        const usage = await usageOf(sluice);
        assert.equal(usage.requests, 10);
        assert.ok(Math.abs(usage.costUsd - billedUsd) < 1e-9, `usage reports $${usage.costUsd}`);
      }
    });
  });
});
