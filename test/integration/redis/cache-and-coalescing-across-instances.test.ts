import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { startGatedOpenAiUpstream } from '../../fakes/gated-openai-upstream.ts';
import { connectTestRedis } from '../../helpers/redis-test-connection.ts';
import { replyOf, richReply } from '../../helpers/rich-reply.ts';
import { connectAsUser, sharedConfig, textOf, withTwoInstances } from './two-instances.ts';

describe('response cache across two instances', () => {
  it('answers on instance B from the cache a reply first produced on A, without calling the provider', async (t) => {
    const redis = await connectTestRedis(t);
    if (!redis) return;
    const upstream = await startFakeOpenAiServer({ script: richReply });
    const config = sharedConfig(redis, 'open', {
      providers: { local: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { cached: { target: { provider: 'local', model: 'm' }, cache: 'on' } },
      plans: { open: {} },
    });
    try {
      await withTwoInstances(config, async (a, b) => {
        const [onA, onB] = await Promise.all([connectAsUser(a), connectAsUser(b)]);
        const question = [{ role: 'user', content: 'What is the answer?' }];
        onA!.send({ type: 'chat', id: 'first', model: 'cached', messages: question });
        const first = await onA!.collect('first');
        const calls = upstream.chatRequests().length;
        assert.equal(first[0]?.cached, false);

        onB!.send({ type: 'chat', id: 'second', model: 'cached', messages: question });
        const second = await onB!.collect('second');
        assert.equal(second[0]?.type, 'start');
        assert.equal(second[0]?.cached, true, 'instance B found the reply A stored');
        assert.equal(upstream.chatRequests().length, calls, 'the provider was not asked again');
        assert.deepEqual(replyOf(second), replyOf(first));
        assert.equal(replyOf(second).end, 'tool_calls');
        assert.deepEqual(second.at(-1)?.usage, first.at(-1)?.usage);
        await Promise.all([onA!.close(), onB!.close()]);
      });
    } finally {
      await upstream.close();
    }
  });
});

describe('coalescing across two instances', () => {
  it('serves 20 identical concurrent requests spread over both instances with one upstream call', async (t) => {
    const redis = await connectTestRedis(t);
    if (!redis) return;
    const words = Array.from({ length: 30 }, (_, index) => ` w${index}`);
    const upstream = await startGatedOpenAiUpstream({ words, beforeGate: 1 });
    const config = sharedConfig(redis, 'open', {
      providers: { gated: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      // Coalescing is on by default; the cache is off so that only coalescing can save the calls.
      models: { shared: { target: { provider: 'gated', model: 'gated-1' }, cache: 'off' } },
      plans: { open: {} },
    });
    try {
      await withTwoInstances(config, async (a, b) => {
        const clients = await Promise.all(
          Array.from({ length: 20 }, (_, index) => connectAsUser(index % 2 === 0 ? a : b)),
        );
        const question = [{ role: 'user', content: 'The same question' }];
        const ask = (index: number) =>
          clients[index]!.send({ type: 'chat', id: 'c', model: 'shared', messages: question });
        const firstDelta = (index: number) => clients[index]!.next((event) => event.type === 'delta');

        // The first request's call is live (and claimed in Redis) before any other is sent.
        ask(0);
        await firstDelta(0);
        for (let index = 1; index < clients.length; index++) ask(index);
        // Every other request, on A (even) and on B (odd), has joined the call held at the gate.
        await Promise.all(clients.slice(1).map((_, index) => firstDelta(index + 1)));
        assert.equal(upstream.calls(), 1);

        upstream.open();
        for (const client of clients) {
          const events = await client.collect('c');
          assert.equal(events[0]?.type, 'start');
          assert.equal(events.at(-1)?.type, 'done');
          assert.equal(events.at(-1)?.finish_reason, 'stop');
          assert.equal(textOf(events), words.join(''));
          assert.equal(
            (events.at(-1)!.usage as { output_tokens: number }).output_tokens,
            words.length,
            'each is billed its own usage',
          );
        }
        assert.equal(upstream.calls(), 1, 'one upstream call for all 20 on both instances');
        await Promise.all(clients.map((client) => client.close()));
      });
    } finally {
      await upstream.stop();
    }
  });
});
