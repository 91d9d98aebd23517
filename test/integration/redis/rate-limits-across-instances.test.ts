import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type GatedOpenAiUpstream, startGatedOpenAiUpstream } from '../../fakes/gated-openai-upstream.ts';
import { connectTestRedis } from '../../helpers/redis-test-connection.ts';
import { until } from '../../helpers/until.ts';
import { connectAsUser, sharedConfig, textOf, usageOf, user, withTwoInstances } from './two-instances.ts';

const messages = [{ role: 'user' as const, content: 'Hello' }];

describe('rate limits across two instances', () => {
  it('serves exactly the 10 requests a minute allows of 30 split across both, and refuses 20 with rate_limited', async (t) => {
    const redis = await connectTestRedis(t);
    if (!redis) return;
    const config = sharedConfig(redis, 'limited', { plans: { limited: { requests_per_minute: 10 } } });
    await withTwoInstances(config, async (a, b) => {
      const clients = await Promise.all([connectAsUser(a), connectAsUser(b)]);
      const ids = Array.from({ length: 30 }, (_, index) => `r${index}`);
      ids.forEach((id, index) => {
        clients[index % 2]!.send({ type: 'chat', id, model: 'demo', messages });
      });
      const terminals = await Promise.all(
        ids.map(async (id, index) => (await clients[index % 2]!.collect(id)).at(-1)!),
      );
      const refused = terminals.filter((event) => event.type === 'error');
      assert.equal(terminals.filter((event) => event.type === 'done').length, 10);
      assert.equal(refused.length, 20);
      for (const error of refused) {
        assert.equal(error.code, 'rate_limited');
        assert.ok(Number(error.retry_after_ms) > 0 && Number(error.retry_after_ms) <= 60_000);
      }
      for (const sluice of [a, b]) assert.equal((await usageOf(sluice)).requests, 10);
      await Promise.all(clients.map((client) => client.close()));
    });
  });

  it('runs exactly 3 concurrent streams of 10 split across both, and admits one again on either once they end', async (t) => {
    const redis = await connectTestRedis(t);
    if (!redis) return;
    const words = ['one', ' two', ' three'];
    const upstream: GatedOpenAiUpstream = await startGatedOpenAiUpstream({ words, beforeGate: 1 });
    const config = sharedConfig(redis, 'limited', {
      providers: { gated: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      // Each request must be its own stream, not a follower of an identical one.
      models: { gated: { target: { provider: 'gated', model: 'gated-1' }, coalesce: false } },
      plans: { limited: { concurrent_streams: 3 } },
    });
    try {
      await withTwoInstances(config, async (a, b) => {
        const clients = await Promise.all([connectAsUser(a), connectAsUser(b)]);
        const clientOf = (index: number) => clients[index % 2]!;
        const ids = Array.from({ length: 10 }, (_, index) => `s${index}`);
        ids.forEach((id, index) => {
          clientOf(index).send({ type: 'chat', id, model: 'gated', messages });
        });
        // A running stream has its first delta (the rest wait at the gate); a refused one its error.
        const firsts = await Promise.all(
          ids.map((id, index) =>
            clientOf(index).next(
              (event) => event.id === id && (event.type === 'delta' || event.type === 'error'),
            ),
          ),
        );
        const running = ids.filter((_, index) => firsts[index]!.type === 'delta');
        const refused = firsts.filter((event) => event.type === 'error');
        assert.equal(running.length, 3);
        assert.equal(refused.length, 7);
        for (const error of refused) {
          assert.equal(error.code, 'rate_limited');
          assert.match(String(error.message), /at most 3 concurrent streams/);
        }
        assert.equal(upstream.calls(), 3, 'only the running streams reached the provider');

        upstream.open();
        for (const id of running) {
          const events = await clientOf(ids.indexOf(id)).collect(id);
          assert.equal(events.at(-1)?.type, 'done');
          assert.equal(textOf(events), words.join(''));
        }
        // A slot goes back with a write that is not awaited before `done`: wait until Redis has them all.
        const slots = await redis.connect();
        await until(
          async () => (await slots.zcard(`${redis.prefix}stream-slots:limited:3:key:${user}`)) === 0,
        );

        const again = await Promise.all(
          clients.map(async (client, index) => {
            client.send({ type: 'chat', id: `again${index}`, model: 'gated', messages });
            return client.collect(`again${index}`);
          }),
        );
        for (const events of again) {
          assert.equal(events.at(-1)?.type, 'done');
          assert.equal(textOf(events), words.join(''));
        }
        await Promise.all(clients.map((client) => client.close()));
      });
    } finally {
      await upstream.stop();
    }
  });
});
