import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import {
  type SlowStartOpenAiUpstream,
  startSlowStartOpenAiUpstream,
} from '../../fakes/slow-start-openai-upstream.ts';
import { connectTestRedis } from '../../helpers/redis-test-connection.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { until } from '../../helpers/until.ts';
import { connectTestClient, type ServerEvent, type TestClient } from '../../helpers/ws-test-client.ts';
import { connectAsUser, sharedConfig, withTwoInstances } from '../redis/two-instances.ts';

// The upstream's first token comes at 60% of total_ms and its reply would finish at 140%: a call
// whose total counts from its start times out, one whose total counts from the first token (160%)
// would finish with `stop`.
const totalMs = 1000;
const slowStart = { firstTokenAfterMs: 600, tokenEveryMs: 50, doneAfterFirstTokenMs: 800 };

const route = (provider: string, extra: Record<string, unknown> = {}) => ({
  target: { provider, model: 'slow-1' },
  cache: 'off',
  retry: { attempts: 1 },
  timeouts: { total_ms: totalMs },
  ...extra,
});

let sequence = 0;
/** Sends a question no other test asks, so that only the requests of one test share a call. */
function ask(client: TestClient, model: string, question: string): void {
  client.send({ type: 'chat', id: 'r', model, messages: [{ role: 'user', content: question }] });
}
const freshQuestion = () => `Question ${++sequence}`;

/** Asserts that the request ended with `upstream_timeout` for its total time, after streaming. */
function assertTimedOut(events: ServerEvent[]): void {
  assert.equal(events[0]?.type, 'start');
  assert.ok(
    events.some((event) => event.type === 'delta'),
    'the first token reached the client',
  );
  assert.equal(events.at(-1)?.type, 'error');
  assert.equal(events.at(-1)?.code, 'upstream_timeout');
  assert.match(String(events.at(-1)?.message), new RegExp(`longer than ${totalMs} ms`));
}

describe('timeouts: total_ms counts from the start of the call, whatever serves the parts', () => {
  let upstream: SlowStartOpenAiUpstream;
  let sluice: TestSluice;

  before(async () => {
    upstream = await startSlowStartOpenAiUpstream(slowStart);
    sluice = await startTestSluice({
      providers: { slow: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { own: route('slow', { coalesce: false }), shared: route('slow') },
    });
  });
  after(async () => {
    await sluice.close();
    await upstream.close();
  });

  for (const model of ['own', 'shared']) {
    it(`ends a request whose first token was slow with upstream_timeout and closes its upstream (coalescing ${model === 'own' ? 'off' : 'on'})`, async () => {
      const client = await connectTestClient(sluice.wsUrl);
      const call = upstream.calls();
      ask(client, model, freshQuestion());
      assertTimedOut(await client.collect('r'));
      assert.equal(await upstream.ending(call), 'cut', 'the upstream was stopped before its reply ended');
      await client.close();
    });
  }

  it('ends a request that joined a shared call late when the call times out, not total_ms after it joined', async () => {
    const [leader, joiner] = await Promise.all([
      connectTestClient(sluice.wsUrl),
      connectTestClient(sluice.wsUrl),
    ]);
    const call = upstream.calls();
    const question = freshQuestion();
    ask(leader!, 'shared', question);
    await leader!.next((event) => event.type === 'delta');
    ask(joiner!, 'shared', question);
    const [led, joined] = await Promise.all([leader!.collect('r'), joiner!.collect('r')]);
    assertTimedOut(led);
    assertTimedOut(joined);
    assert.equal(upstream.calls(), call + 1, 'the joiner shared the leader call');
    assert.equal(await upstream.ending(call), 'cut');
    await Promise.all([leader!.close(), joiner!.close()]);
  });
});

describe('timeouts: total_ms shorter than first_token_ms', () => {
  let upstream: SlowStartOpenAiUpstream;
  let sluice: TestSluice;

  before(async () => {
    // Headers at once, then silence past the end of every test.
    upstream = await startSlowStartOpenAiUpstream({ firstTokenAfterMs: 120_000, tokenEveryMs: 50 });
    const patient = { timeouts: { total_ms: 300, first_token_ms: 20_000 } };
    sluice = await startTestSluice({
      providers: { silent: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: {
        own: route('silent', { ...patient, coalesce: false }),
        shared: route('silent', patient),
      },
    });
  });
  after(async () => {
    await sluice.close();
    await upstream.close();
  });

  for (const model of ['own', 'shared']) {
    it(`ends a request still waiting for its first token at total_ms (coalescing ${model === 'own' ? 'off' : 'on'})`, async () => {
      const client = await connectTestClient(sluice.wsUrl);
      const call = upstream.calls();
      ask(client, model, freshQuestion());
      const events = await client.collect('r');
      assert.equal(events.length, 1, 'no start: nothing was streamed');
      assert.equal(events[0]?.type, 'error');
      assert.equal(events[0]?.code, 'upstream_timeout');
      assert.match(String(events[0]?.message), /longer than 300 ms/);
      assert.equal(await upstream.ending(call), 'cut');
      await client.close();
    });
  }
});

describe('timeouts: a call followed on another instance', () => {
  it('ends the requests on both instances with upstream_timeout when the shared call times out', async (t) => {
    const redis = await connectTestRedis(t);
    if (!redis) return;
    const upstream = await startSlowStartOpenAiUpstream(slowStart);
    const config = sharedConfig(redis, 'open', {
      providers: { slow: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { shared: route('slow') },
      plans: { open: {} },
    });
    try {
      await withTwoInstances(config, async (a, b) => {
        const [onA, onB] = await Promise.all([connectAsUser(a), connectAsUser(b)]);
        const question = freshQuestion();
        ask(onA, 'shared', question);
        await onA.next((event) => event.type === 'delta');
        ask(onB, 'shared', question);
        const [led, followed] = await Promise.all([onA.collect('r'), onB.collect('r')]);
        assertTimedOut(led);
        assertTimedOut(followed);
        assert.equal(upstream.calls(), 1, 'instance B followed the call of instance A');
        assert.equal(await upstream.ending(0), 'cut');
        await Promise.all([onA.close(), onB.close()]);
      });
    } finally {
      await upstream.close();
    }
  });

  it('tells a follower on another instance how the call failed when it fails before its first token', async (t) => {
    const redis = await connectTestRedis(t);
    if (!redis) return;
    const release = Promise.withResolvers<void>();
    const upstream = await startFakeOpenAiServer({
      script: {
        holdUntil: release.promise,
        httpError: {
          status: 400,
          error: { message: 'no such model', type: 'invalid_request_error', param: 'model', code: null },
        },
      },
    });
    const config = sharedConfig(redis, 'open', {
      providers: { local: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { shared: route('local') },
      plans: { open: {} },
    });
    const watcher = await redis.connect();
    try {
      await withTwoInstances(config, async (a, b) => {
        const [onA, onB] = await Promise.all([connectAsUser(a), connectAsUser(b)]);
        const question = freshQuestion();
        ask(onA, 'shared', question);
        await until(() => upstream.chatRequests().length === 1);
        ask(onB, 'shared', question);
        // Instance B follows A's call once it has marked itself as a reader of it.
        await until(async () => (await watcher.keys(`${redis.prefix}readers:{call:*`)).length > 0);
        release.resolve();
        const [led, followed] = await Promise.all([onA.collect('r'), onB.collect('r')]);
        assert.equal(led.at(-1)?.type, 'error');
        assert.equal(followed.at(-1)?.type, 'error');
        assert.equal(followed.at(-1)?.code, led.at(-1)?.code);
        assert.equal(upstream.chatRequests().length, 1, 'instance B did not call upstream itself');
        await Promise.all([onA.close(), onB.close()]);
      });
    } finally {
      await upstream.close();
    }
  });
});
