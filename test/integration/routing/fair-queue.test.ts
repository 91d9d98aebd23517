import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashApiKey } from '../../../src/auth/hash-api-key.ts';
import { startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { startTestSluice } from '../../helpers/start-test-sluice.ts';
import { until } from '../../helpers/until.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

describe('routing: a limited backend shared fairly', () => {
  it("does not let one user's burst of 50 delay another user's request by more than one turn", async () => {
    const gates: Array<() => void> = [];
    const arrivals: string[] = [];
    const upstream = await startFakeOpenAiServer({
      script: (request) => {
        const body = request.json as { messages: Array<{ content: string }> };
        arrivals.push(body.messages[0]!.content);
        return {
          deltas: [{ content: 'ok' }],
          holdUntil: new Promise<void>((resolve) => gates.push(resolve)),
        };
      },
    });
    const sluice = await startTestSluice({
      auth: {
        api_keys: [
          { hash: hashApiKey('sk-sluice-burst'), user: 'burst' },
          { hash: hashApiKey('sk-sluice-single'), user: 'single' },
        ],
      },
      providers: { vllm: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: {
        local: { target: { provider: 'vllm', model: 'llama', max_concurrency: 2, max_queue_length: 100 } },
      },
    });
    try {
      const burst = await connectTestClient(sluice.wsUrl, ['sluice.v1', 'bearer.sk-sluice-burst']);
      const single = await connectTestClient(sluice.wsUrl, ['sluice.v1', 'bearer.sk-sluice-single']);
      for (let index = 0; index < 50; index++) {
        burst.send({
          type: 'chat',
          id: `b${index}`,
          model: 'local',
          messages: [{ role: 'user', content: `burst ${index}` }],
        });
      }
      await until(() => arrivals.length === 2);
      assert.equal(gates.length, 2, 'two in flight, 48 waiting');
      single.send({ type: 'chat', id: 's', model: 'local', messages: [{ role: 'user', content: 'single' }] });
      // Let the burst's first request finish: the slot it frees is the single user's turn.
      await until(() => gates.length === 2);
      gates[0]!();
      await burst.collect('b0');
      await until(() => arrivals.length === 3);
      assert.equal(arrivals[2], 'single', `arrivals: ${arrivals.join(', ')}`);
      gates[1]!();
      gates[2]!();
      assert.equal((await single.collect('s')).at(-1)?.type, 'done');
      // Cancelling a request that waits in the queue removes it at once.
      burst.send({ type: 'cancel', id: 'b49' });
      assert.equal((await burst.collect('b49')).at(-1)?.finish_reason, 'cancelled');
      for (let index = 3; index < 50; index++) {
        await until(() => gates.length > index);
        gates[index]!();
      }
      for (let index = 1; index < 49; index++)
        assert.equal((await burst.collect(`b${index}`)).at(-1)?.type, 'done');
      assert.ok(!arrivals.includes('burst 49'), 'the cancelled request never reached the backend');
      await burst.close();
      await single.close();
    } finally {
      await sluice.close();
      await upstream.close();
    }
  });

  it('answers unavailable with retry_after_ms when a request waits too long for a slot', async () => {
    const upstream = await startFakeOpenAiServer({
      script: { deltas: [{ content: 'hold' }], ending: { type: 'stall' } },
    });
    const sluice = await startTestSluice({
      providers: { vllm: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: {
        local: {
          target: { provider: 'vllm', model: 'llama', max_concurrency: 1, max_queue_wait_ms: 50 },
          coalesce: false,
        },
      },
    });
    try {
      const client = await connectTestClient(sluice.wsUrl);
      client.send({
        type: 'chat',
        id: 'holder',
        model: 'local',
        messages: [{ role: 'user', content: 'hi' }],
      });
      await client.next((event) => event.id === 'holder' && event.type === 'delta');
      client.send({
        type: 'chat',
        id: 'waiter',
        model: 'local',
        messages: [{ role: 'user', content: 'hi' }],
      });
      const refused = (await client.collect('waiter')).at(-1)!;
      assert.equal(refused.code, 'unavailable');
      assert.equal(refused.retry_after_ms, 50);
      client.send({ type: 'cancel', id: 'holder' });
      await client.collect('holder');
      await client.close();
    } finally {
      await sluice.close();
      await upstream.close();
    }
  });
});
