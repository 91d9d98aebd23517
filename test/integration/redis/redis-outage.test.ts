import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startGatedOpenAiUpstream } from '../../fakes/gated-openai-upstream.ts';
import { startRedisServer } from '../../helpers/redis-server-process.ts';
import type { TestSluice } from '../../helpers/start-test-sluice.ts';
import { until } from '../../helpers/until.ts';
import type { ServerEvent, TestClient } from '../../helpers/ws-test-client.ts';
import {
  connectAsUser,
  servedUsage,
  sharedConfig,
  textOf,
  usageOf,
  withTwoInstances,
} from './two-instances.ts';

const words = ['Still', ' here', ' after', ' the', ' outage.'];
const question = [{ role: 'user' as const, content: 'Are you there?' }];
const budget = 1_000_000;

/** Whether an instance logged that every settlement Redis missed has reached it since. */
const settledLate = (sluice: TestSluice) =>
  sluice.logLines().some((line) => line.msg === 'every delayed settlement reached the shared store');

describe('Redis stopped mid-run, under two instances', () => {
  it('fails new requests closed with unavailable, lets a running stream finish, and resumes by itself with every request billed once', async (t) => {
    const redisServer = await startRedisServer(t);
    if (!redisServer) return;
    const upstream = await startGatedOpenAiUpstream({ words, beforeGate: 1 });
    const config = sharedConfig({ url: redisServer.url, prefix: 'sluice-outage:' }, 'metered', {
      providers: { gated: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { gated: { target: { provider: 'gated', model: 'gated-1' } } },
      plans: { metered: { tokens_per_day: budget } },
    });
    try {
      await withTwoInstances(config, async (a, b) => {
        const [onA, onB] = await Promise.all([connectAsUser(a), connectAsUser(b)]);
        const terminals: ServerEvent[] = [];
        let sequence = 0;
        const ask = async (client: TestClient) => {
          const id = `r${++sequence}`;
          client.send({ type: 'chat', id, model: 'gated', messages: question });
          const terminal = (await client.collect(id)).at(-1)!;
          terminals.push(terminal);
          return terminal;
        };

        // Served before the outage, on B.
        upstream.open();
        assert.equal((await ask(onB!)).type, 'done');
        upstream.close();

        // Streaming on A, held mid-reply, when Redis stops.
        onA!.send({ type: 'chat', id: 'running', model: 'gated', messages: question });
        await onA!.next((event) => event.id === 'running' && event.type === 'delta');
        await redisServer.stop();

        for (const client of [onA!, onB!]) {
          const refused = await ask(client);
          assert.equal(refused.type, 'error', 'never served unmetered');
          assert.equal(refused.code, 'unavailable');
        }

        upstream.open();
        const running = await onA!.collect('running');
        terminals.push(running.at(-1)!);
        assert.equal(running.at(-1)?.type, 'done', 'the stream that was running finished for its client');
        assert.equal(textOf(running), words.join(''));

        await redisServer.start();
        // Back without a restart: each instance serves again once its client has reconnected. These
        // ask what was running when Redis stopped: the shared call A could not finish publishing
        // must not be followed (to nothing) by the next identical request.
        for (const client of [onA!, onB!]) {
          await until(async () => {
            const terminal = await ask(client);
            if (terminal.type === 'error') assert.equal(terminal.code, 'unavailable');
            return terminal.type === 'done';
          });
        }
        // The running stream's settlement, which Redis missed, is retried until Redis takes it.
        await until(() => settledLate(a) && settledLate(b));

        const served = servedUsage(terminals);
        assert.equal(served.requests, 4, 'before, during and after the outage');
        for (const sluice of [a, b]) {
          const usage = await usageOf(sluice);
          assert.equal(usage.requests, served.requests, 'every served request is recorded once');
          assert.equal(usage.inputTokens, served.inputTokens);
          assert.equal(usage.outputTokens, served.outputTokens);
          assert.equal(
            usage.limits.tokens_left_today,
            budget - served.inputTokens - served.outputTokens,
            'no reservation is left charging',
          );
        }
        await Promise.all([onA!.close(), onB!.close()]);
      });
    } finally {
      await upstream.stop();
    }
  });
});
