import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { countMessageTokens } from '../../../src/usage/count-tokens.ts';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { type MeteredUpstream, startMeteredUpstream } from '../../fakes/metered-openai-upstream.ts';
import { startTestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

const messages = [{ role: 'user' as const, content: 'Tell me a story.' }];
const inputTokens = countMessageTokens(messages);

describe('quota: limits met in the middle of a stream', () => {
  let obedient: MeteredUpstream;
  let runaway: MeteredUpstream;
  before(async () => {
    obedient = await startMeteredUpstream({ replyTokens: 100 });
    runaway = await startMeteredUpstream({ replyTokens: 100, ignoreMaxTokens: true });
  });
  after(async () => {
    await obedient.close();
    await runaway.close();
  });

  for (const [name, upstream] of [
    ['an upstream that honours max_tokens', () => obedient],
    ['an upstream that ignores max_tokens', () => runaway],
  ] as const) {
    it(`stops a stream at the remaining allowance with finish_reason quota (${name})`, async () => {
      const sluice = await startTestSluice({
        providers: { upstream: { type: 'openai-compatible', base_url: upstream().baseUrl } },
        models: { story: { target: { provider: 'upstream', model: 'story-1' } } },
        plans: { default: { tokens_per_day: inputTokens + 30 } },
      });
      try {
        const client = await connectTestClient(sluice.wsUrl);
        client.send({ type: 'chat', id: 's', model: 'story', messages, max_tokens: 100 });
        const events = await client.collect('s');
        const done = events.at(-1)!;
        assert.equal(done.type, 'done');
        assert.equal(done.finish_reason, 'quota');
        assert.equal(events.filter((event) => event.type === 'delta').length, 30);
        assert.equal((done.usage as { output_tokens: number }).output_tokens, 30);
        assert.deepEqual(done.quota, { tokens_left_today: 0 });
        assert.equal(upstream().billed.at(-1)?.maxTokens, 30, 'max_tokens was clamped to the allowance');
        client.send({ type: 'chat', id: 'next', model: 'story', messages, max_tokens: 100 });
        const refused = (await client.collect('next')).at(-1)!;
        assert.equal(refused.code, 'quota_exceeded');
        await client.close();
      } finally {
        await sluice.close();
      }
    });
  }
});

describe('quota: request rate, concurrent streams, plan rules', () => {
  let stalling: FakeOpenAiServer;
  before(async () => {
    stalling = await startFakeOpenAiServer({
      script: { deltas: [{ content: 'hold' }], ending: { type: 'stall' } },
    });
  });
  after(() => stalling.close());

  const config = (plan: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    providers: { slow: { type: 'openai-compatible', base_url: stalling.baseUrl } },
    models: { slow: { target: { provider: 'slow', model: 'slow-1' } } },
    plans: { default: plan },
    ...extra,
  });

  it('refuses requests past the per-minute limit with rate_limited and retry_after_ms', async () => {
    const sluice = await startTestSluice(config({ requests_per_minute: 2 }));
    try {
      const client = await connectTestClient(sluice.wsUrl);
      for (const id of ['a', 'b']) {
        client.send({ type: 'chat', id, model: 'demo', messages });
        assert.equal((await client.collect(id)).at(-1)?.type, 'done');
      }
      client.send({ type: 'chat', id: 'c', model: 'demo', messages });
      const refused = (await client.collect('c')).at(-1)!;
      assert.equal(refused.code, 'rate_limited');
      assert.ok(Number(refused.retry_after_ms) > 0 && Number(refused.retry_after_ms) <= 60_000);
      await client.close();
    } finally {
      await sluice.close();
    }
  });

  it('refuses a stream over the concurrent-stream limit, and admits one again when a slot frees', async () => {
    const sluice = await startTestSluice(config({ concurrent_streams: 1 }));
    try {
      const client = await connectTestClient(sluice.wsUrl);
      client.send({ type: 'chat', id: 'first', model: 'slow', messages });
      await client.next((event) => event.id === 'first' && event.type === 'delta');
      client.send({ type: 'chat', id: 'second', model: 'slow', messages });
      const refused = (await client.collect('second')).at(-1)!;
      assert.equal(refused.code, 'rate_limited');
      assert.match(String(refused.message), /at most 1 concurrent streams/);
      client.send({ type: 'cancel', id: 'first' });
      await client.collect('first');
      client.send({ type: 'chat', id: 'third', model: 'demo', messages });
      assert.equal((await client.collect('third')).at(-1)?.type, 'done');
      await client.close();
    } finally {
      await sluice.close();
    }
  });

  it('refuses a model outside the plan with forbidden, and lists only the plan models in ready', async () => {
    const sluice = await startTestSluice(config({ models: ['demo'] }));
    try {
      const client = await connectTestClient(sluice.wsUrl);
      assert.deepEqual((await client.next()).models, ['demo']);
      client.send({ type: 'chat', id: 'x', model: 'slow', messages });
      const refused = (await client.collect('x')).at(-1)!;
      assert.equal(refused.code, 'forbidden');
      await client.close();
    } finally {
      await sluice.close();
    }
  });

  it("clamps max_tokens to the plan's cap and says so in start", async () => {
    const sluice = await startTestSluice(config({ max_tokens: 5 }));
    try {
      const client = await connectTestClient(sluice.wsUrl);
      client.send({ type: 'chat', id: 'm', model: 'demo', messages, max_tokens: 500 });
      const events = await client.collect('m');
      assert.deepEqual(events[0]?.warnings, ["max_tokens 500 clamped to the plan's 5"]);
      assert.equal(events.filter((event) => event.type === 'delta').length, 5);
      assert.equal(events.at(-1)?.finish_reason, 'length');
      await client.close();
    } finally {
      await sluice.close();
    }
  });

  it('refuses a priced plan on an unpriced model, rather than run it unmetered', async () => {
    const sluice = await startTestSluice(config({ usd_per_day: 5 }));
    try {
      const client = await connectTestClient(sluice.wsUrl);
      client.send({ type: 'chat', id: 'u', model: 'slow', messages });
      const refused = (await client.collect('u')).at(-1)!;
      assert.equal(refused.code, 'forbidden');
      assert.match(String(refused.message), /no price/);
      await client.close();
    } finally {
      await sluice.close();
    }
  });
});
