import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type FakeOpenAiScript, startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { replyOf, richReply } from '../../helpers/rich-reply.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient, type TestClient } from '../../helpers/ws-test-client.ts';

describe('response cache', () => {
  let sluice: TestSluice;
  let client: TestClient;
  const scripts: FakeOpenAiScript[] = [];
  let upstream: Awaited<ReturnType<typeof startFakeOpenAiServer>>;

  before(async () => {
    upstream = await startFakeOpenAiServer({ script: () => scripts.shift() ?? richReply });
    sluice = await startTestSluice({
      providers: { local: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: {
        cached: { target: { provider: 'local', model: 'm' }, cache: 'on', retry: { attempts: 1 } },
        zero: { target: { provider: 'local', model: 'm' } },
      },
    });
    client = await connectTestClient(sluice.wsUrl);
  });
  after(async () => {
    await client.close();
    await sluice.close();
    await upstream.close();
  });

  let sequence = 0;
  const ask = async (model: string, question: string, extra: Record<string, unknown> = {}) => {
    const id = `q${++sequence}`;
    client.send({ type: 'chat', id, model, messages: [{ role: 'user', content: question }], ...extra });
    return client.collect(id);
  };

  it('answers a second identical request from the cache, replaying text, reasoning and tool calls faithfully', async () => {
    const calls = upstream.chatRequests().length;
    const first = await ask('cached', 'What is the answer?');
    const second = await ask('cached', 'What is the answer?');
    assert.equal(upstream.chatRequests().length, calls + 1, 'the provider was asked once');
    assert.equal(first[0]?.cached, false);
    assert.equal(second[0]?.cached, true);
    assert.deepEqual(replyOf(second), replyOf(first));
    assert.equal(replyOf(second).end, 'tool_calls');
    assert.deepEqual(second.at(-1)?.usage, first.at(-1)?.usage);
    const hitLine = sluice.logLines().findLast((line) => line.event === 'request_end');
    assert.equal(hitLine?.outcome, 'tool_calls');
  });

  it('never caches a failed or a cancelled reply', async () => {
    scripts.push({ deltas: [{ content: 'half' }], ending: { type: 'drop-connection' } });
    assert.equal(replyOf(await ask('cached', 'fails once')).end, 'upstream_error');
    const retried = await ask('cached', 'fails once');
    assert.equal(retried[0]?.cached, false, 'the failure was not stored');

    scripts.push({ deltas: [{ content: 'slow' }], ending: { type: 'stall' } });
    const id = `q${++sequence}`;
    client.send({ type: 'chat', id, model: 'cached', messages: [{ role: 'user', content: 'cancel me' }] });
    await client.next((event) => event.id === id && event.type === 'delta');
    client.send({ type: 'cancel', id });
    assert.equal((await client.collect(id)).at(-1)?.finish_reason, 'cancelled');
    assert.equal((await ask('cached', 'cancel me'))[0]?.cached, false, 'the cancelled reply was not stored');
  });

  it('skips the cache with bypass, and re-asks and replaces it with refresh', async () => {
    await ask('cached', 'fresh please');
    const calls = upstream.chatRequests().length;
    assert.equal((await ask('cached', 'fresh please', { cache: 'bypass' }))[0]?.cached, false);
    assert.equal(upstream.chatRequests().length, calls + 1);
    scripts.push({ deltas: [{ content: 'a newer answer' }] });
    const refreshed = await ask('cached', 'fresh please', { cache: 'refresh' });
    assert.equal(refreshed[0]?.cached, false);
    const after = await ask('cached', 'fresh please');
    assert.equal(after[0]?.cached, true);
    assert.deepEqual(replyOf(after).parts, [{ text: 'a newer answer' }]);
  });

  it('caches a route set to temperature-zero only for requests at temperature 0', async () => {
    await ask('zero', 'warm', { temperature: 0.7 });
    assert.equal((await ask('zero', 'warm', { temperature: 0.7 }))[0]?.cached, false);
    await ask('zero', 'cold', { temperature: 0 });
    assert.equal((await ask('zero', 'cold', { temperature: 0 }))[0]?.cached, true);
  });
});

describe('request coalescing', () => {
  it('serves 50 identical concurrent requests with one upstream call, and the first cancelling cuts nobody', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const words = Array.from({ length: 30 }, (_, index) => ({ content: ` w${index}` }));
    const upstream = await startFakeOpenAiServer({ script: { deltas: words, holdUntil: gate } });
    const sluice = await startTestSluice({
      providers: { local: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { shared: { target: { provider: 'local', model: 'm' }, cache: 'off' } },
    });
    try {
      const clients = await Promise.all(Array.from({ length: 50 }, () => connectTestClient(sluice.wsUrl)));
      const question = [{ role: 'user', content: 'The same question' }];
      clients[0]!.send({ type: 'chat', id: 'c', model: 'shared', messages: question });
      while (upstream.chatRequests().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      for (const client of clients.slice(1))
        client.send({ type: 'chat', id: 'c', model: 'shared', messages: question });
      release();
      await clients[0]!.next((event) => event.type === 'delta');
      clients[0]!.send({ type: 'cancel', id: 'c' });
      assert.equal((await clients[0]!.collect('c')).at(-1)?.finish_reason, 'cancelled');
      const expected = words.map((word) => word.content).join('');
      for (const client of clients.slice(1)) {
        const events = await client.collect('c');
        assert.equal(events.at(-1)?.finish_reason, 'stop');
        assert.equal(
          events
            .filter((event) => event.type === 'delta')
            .map((event) => event.text)
            .join(''),
          expected,
        );
        assert.equal(
          (events.at(-1)!.usage as { output_tokens: number }).output_tokens,
          30,
          'each is billed its own usage',
        );
      }
      assert.equal(upstream.chatRequests().length, 1, 'one upstream call for all 50');
      await Promise.all(clients.map((client) => client.close()));
    } finally {
      await sluice.close();
      await upstream.close();
    }
  });

  it('aborts the shared upstream call only when the last of its clients leaves', async () => {
    const upstream = await startFakeOpenAiServer({
      script: { deltas: [{ content: 'x' }], ending: { type: 'stall' } },
    });
    const sluice = await startTestSluice({
      providers: { local: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { shared: { target: { provider: 'local', model: 'm' } } },
    });
    try {
      const [first, second] = await Promise.all([
        connectTestClient(sluice.wsUrl),
        connectTestClient(sluice.wsUrl),
      ]);
      const question = [{ role: 'user', content: 'Wait with me' }];
      first!.send({ type: 'chat', id: 'a', model: 'shared', messages: question });
      await first!.next((event) => event.type === 'delta');
      second!.send({ type: 'chat', id: 'b', model: 'shared', messages: question });
      await second!.next((event) => event.type === 'delta');
      assert.equal(upstream.chatRequests().length, 1);
      first!.send({ type: 'cancel', id: 'a' });
      await first!.collect('a');
      assert.equal(upstream.chatConnectionIsOpen(0), true, 'still serving the second client');
      const closed = upstream.nextConnectionClose();
      second!.send({ type: 'cancel', id: 'b' });
      await second!.collect('b');
      await closed;
      assert.equal(upstream.chatConnectionIsOpen(0), false);
      await Promise.all([first!.close(), second!.close()]);
    } finally {
      await sluice.close();
      await upstream.close();
    }
  });
});

describe('cache hits and quotas', () => {
  for (const hitsCountTokens of [true, false]) {
    it(`${hitsCountTokens ? 'counts' : 'does not count'} a hit's tokens against the quota, at a price of zero`, async () => {
      const upstream = await startFakeOpenAiServer({ script: { deltas: [{ content: 'stored answer' }] } });
      const sluice = await startTestSluice({
        cache: { hits_count_tokens: hitsCountTokens },
        providers: { local: { type: 'openai-compatible', base_url: upstream.baseUrl } },
        models: { cached: { target: { provider: 'local', model: 'priced' }, cache: 'on' } },
        pricing: { priced: { input_per_million: 1, output_per_million: 1 } },
        plans: { default: { tokens_per_day: 100_000 } },
      });
      try {
        const client = await connectTestClient(sluice.wsUrl);
        const ask = async (id: string) => {
          client.send({
            type: 'chat',
            id,
            model: 'cached',
            messages: [{ role: 'user', content: 'same' }],
            max_tokens: 20,
          });
          return (await client.collect(id)).at(-1)!;
        };
        const first = await ask('miss');
        const hit = await ask('hit');
        const spentByMiss = 100_000 - (first.quota as { tokens_left_today: number }).tokens_left_today;
        const leftAfterHit = (hit.quota as { tokens_left_today: number }).tokens_left_today;
        assert.equal((hit.usage as { cost_usd: number }).cost_usd, 0);
        assert.equal(leftAfterHit, hitsCountTokens ? 100_000 - 2 * spentByMiss : 100_000 - spentByMiss);
        await client.close();
      } finally {
        await sluice.close();
        await upstream.close();
      }
    });
  }
});
