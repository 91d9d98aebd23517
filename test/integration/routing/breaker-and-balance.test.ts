import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as wait } from 'node:timers/promises';
import { type FakeOpenAiScript, startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient, type ServerEvent, type TestClient } from '../../helpers/ws-test-client.ts';

const messages = [{ role: 'user', content: 'Hello' }];
const serverError: FakeOpenAiScript = {
  httpError: { status: 500, error: { message: 'down', type: 'server_error', param: null, code: null } },
};

async function chatOn(client: TestClient, id: string, model: string): Promise<ServerEvent[]> {
  client.send({ type: 'chat', id, model, messages });
  return client.collect(id);
}

describe('routing: circuit breakers', () => {
  it('opens after repeated failures, skips the target while open, and closes after a successful probe', async () => {
    let healthy = false;
    const flaky = await startFakeOpenAiServer({
      script: () => (healthy ? { deltas: [{ content: 'back' }] } : serverError),
    });
    const steady = await startFakeOpenAiServer({ script: { deltas: [{ content: 'steady' }] } });
    const sluice = await startTestSluice({
      providers: {
        flaky: { type: 'openai-compatible', base_url: flaky.baseUrl },
        steady: { type: 'openai-compatible', base_url: steady.baseUrl },
      },
      models: {
        pair: {
          targets: [
            { provider: 'flaky', model: 'm' },
            { provider: 'steady', model: 'm' },
          ],
          retry: { attempts: 1 },
          breaker: { threshold: 2, half_open_after_ms: 150 },
        },
      },
    });
    try {
      const client = await connectTestClient(sluice.wsUrl);
      for (const id of ['a', 'b']) assert.equal((await chatOn(client, id, 'pair'))[0]?.provider, 'steady');
      assert.equal(flaky.chatRequests().length, 2);
      // Open: the flaky target is not even tried.
      for (const id of ['c', 'd', 'e'])
        assert.equal((await chatOn(client, id, 'pair'))[0]?.provider, 'steady');
      assert.equal(flaky.chatRequests().length, 2);
      healthy = true;
      // After the cool-down a probe goes through; it succeeds and the circuit closes.
      let probe: ServerEvent[] = [];
      for (let round = 0; flaky.chatRequests().length === 2; round++) {
        await wait(50);
        probe = await chatOn(client, `p${round}`, 'pair');
      }
      assert.equal(probe[0]?.provider, 'flaky');
      assert.equal((await chatOn(client, 'after', 'pair'))[0]?.provider, 'flaky');
      await client.close();
    } finally {
      await sluice.close();
      await flaky.close();
      await steady.close();
    }
  });

  it('answers unavailable at once when every target of a route is down', async () => {
    const down = await startFakeOpenAiServer({ script: serverError });
    const sluice = await startTestSluice({
      providers: { down: { type: 'openai-compatible', base_url: down.baseUrl } },
      models: {
        both: {
          targets: [
            { provider: 'down', model: 'a' },
            { provider: 'down', model: 'b' },
          ],
          retry: { attempts: 1 },
          breaker: { threshold: 1, half_open_after_ms: 60_000 },
        },
      },
    });
    try {
      const client = await connectTestClient(sluice.wsUrl);
      const first = (await chatOn(client, 'first', 'both')).at(-1)!;
      assert.equal(first.code, 'unavailable');
      const calls = down.chatRequests().length;
      const second = (await chatOn(client, 'second', 'both')).at(-1)!;
      assert.equal(second.code, 'unavailable');
      assert.match(String(second.message), /circuit open/);
      assert.equal(down.chatRequests().length, calls, 'open circuits are not called');
      await client.close();
    } finally {
      await sluice.close();
      await down.close();
    }
  });
});

describe('routing: strategies', () => {
  async function withDemoPair(route: Record<string, unknown>, run: (sluice: TestSluice) => Promise<void>) {
    const sluice = await startTestSluice({
      providers: { left: { type: 'demo', token_delay_ms: 0 }, right: { type: 'demo', token_delay_ms: 0 } },
      models: { pair: route },
    });
    try {
      await run(sluice);
    } finally {
      await sluice.close();
    }
  }

  it('spreads 1,000 requests of a weighted route within a few percent of its weights', async () => {
    const route = {
      coalesce: false,
      strategy: 'weighted',
      targets: [
        { provider: 'left', model: 'demo', weight: 3 },
        { provider: 'right', model: 'demo', weight: 1 },
      ],
    };
    await withDemoPair(route, async (sluice) => {
      const client = await connectTestClient(sluice.wsUrl);
      const counts = { left: 0, right: 0 };
      for (let batch = 0; batch < 10; batch++) {
        const ids = Array.from({ length: 100 }, (_, index) => `w${batch}-${index}`);
        for (const id of ids) client.send({ type: 'chat', id, model: 'pair', messages, max_tokens: 1 });
        for (const id of ids) {
          const start = await client.next((event) => event.id === id && event.type === 'start');
          counts[start.provider as 'left' | 'right']++;
          await client.collect(id);
        }
      }
      const share = counts.left / 1000;
      assert.ok(Math.abs(share - 0.75) < 0.05, `left took ${share} of the traffic, expected 0.75`);
      await client.close();
    });
  });

  it('sends a request to the idle target under least-busy', async () => {
    const slow = await startFakeOpenAiServer({
      script: { deltas: [{ content: 'hold' }], ending: { type: 'stall' } },
    });
    const sluice = await startTestSluice({
      providers: {
        slow: { type: 'openai-compatible', base_url: slow.baseUrl },
        quick: { type: 'demo', token_delay_ms: 0 },
      },
      models: {
        pair: {
          coalesce: false,
          strategy: 'least-busy',
          targets: [
            { provider: 'slow', model: 'm' },
            { provider: 'quick', model: 'demo' },
          ],
        },
      },
    });
    try {
      const client = await connectTestClient(sluice.wsUrl);
      client.send({ type: 'chat', id: 'busy', model: 'pair', messages });
      assert.equal(
        (await client.next((event) => event.id === 'busy' && event.type === 'start')).provider,
        'slow',
      );
      for (const id of ['x', 'y', 'z'])
        assert.equal((await chatOn(client, id, 'pair'))[0]?.provider, 'quick');
      client.send({ type: 'cancel', id: 'busy' });
      await client.collect('busy');
      await client.close();
    } finally {
      await sluice.close();
      await slow.close();
    }
  });
});
