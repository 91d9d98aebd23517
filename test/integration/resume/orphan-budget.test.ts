import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { type GatedOpenAiUpstream, startGatedOpenAiUpstream } from '../../fakes/gated-openai-upstream.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { until } from '../../helpers/until.ts';
import { connectTestClient, type TestClient } from '../../helpers/ws-test-client.ts';
import {
  adaKey,
  ask,
  assertWholeReply,
  bobKey,
  connectAs,
  deltaSeq,
  eventsOf,
  resumeConfig,
  words,
  wordsBeforeGate,
} from './resume-kit.ts';

const perUser = 8;

describe('requests whose connection dropped count toward max_requests_per_user', () => {
  let upstream: GatedOpenAiUpstream;
  let sluice: TestSluice;
  before(async () => {
    upstream = await startGatedOpenAiUpstream({ words, beforeGate: wordsBeforeGate });
    // A grace period far longer than any test: only the budget ends an orphan here.
    const config = resumeConfig(upstream.baseUrl, {
      server: { max_requests_per_user: perUser },
      resume: { grace_ms: 600_000 },
    });
    // Ada and Bob, and people without a key.
    config.auth = { ...(config.auth as object), anonymous: { enabled: true } };
    sluice = await startTestSluice(config);
  });
  afterEach(async () => {
    // Every request of the test ends (held ones run to their end), so the next starts with none.
    upstream.open();
    await until(() => upstream.openConnections() === 0);
    upstream.close();
  });
  after(async () => {
    await sluice.close();
    await upstream.stop();
  });

  /** How request `id` of Ada's ended, from its `request end` log line (undefined while it runs). */
  const outcomeOf = (id: string) =>
    sluice.logLines().find((line) => line.event === 'request_end' && line.client_request_id === id)?.outcome;

  /** Asks for each id in turn and waits until every one is streaming from the upstream. */
  async function startStreaming(client: TestClient, ids: string[]): Promise<void> {
    for (const id of ids) ask(client, id);
    for (const id of ids) await deltaSeq(client, id, 1);
  }

  const ids = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, index) => `${prefix}${index}`);

  it('keeps the upstream within the bound however often a client fills a connection and drops it', async () => {
    const rounds = 4;
    for (let round = 0; round < rounds; round++) {
      const client = await connectAs(sluice.wsUrl, adaKey);
      await startStreaming(client, ids(`round${round}-`, perUser));
      if (round === 0) {
        // With every request still read by its connection, one more is refused.
        ask(client, 'one-too-many');
        const [refusal] = await client.collect('one-too-many');
        assert.equal(refusal?.code, 'rate_limited');
      }
      client.socket.terminate();
    }
    assert.equal(upstream.calls(), rounds * perUser);
    assert.ok(
      upstream.mostOpenAtOnce() <= perUser,
      `the upstream had ${upstream.mostOpenAtOnce()} streams open at once`,
    );
    for (let round = 0; round < rounds - 1; round++) {
      for (const id of ids(`round${round}-`, perUser)) {
        await until(() => outcomeOf(id) !== undefined);
        assert.equal(outcomeOf(id), 'cancelled', `${id}, an orphan a later chat evicted, was cancelled`);
      }
    }
    assert.equal(upstream.openConnections(), perUser, 'the last round runs on, waiting for its client');
  });

  it('cancels the oldest orphans first and spares one a connection has resumed', async () => {
    const dropped = await connectAs(sluice.wsUrl, adaKey);
    const orphans = ids('orphan', perUser);
    await startStreaming(dropped, orphans);
    dropped.socket.terminate();

    const back = await connectAs(sluice.wsUrl, adaKey);
    back.send({ type: 'resume', id: 'orphan0', after_seq: 1 });
    await deltaSeq(back, 'orphan0', 2);
    await startStreaming(back, ids('new', 3));
    // orphan0 is read again, so the three that make room are the next oldest.
    for (const id of ['orphan1', 'orphan2', 'orphan3']) {
      await until(() => outcomeOf(id) !== undefined);
      assert.equal(outcomeOf(id), 'cancelled');
    }
    for (const id of ['orphan0', 'orphan4', 'orphan5', 'orphan6', 'orphan7'])
      assert.equal(outcomeOf(id), undefined, `${id} still runs`);
    assert.equal(upstream.openConnections(), perUser);

    upstream.open();
    assertWholeReply(eventsOf(dropped, 'orphan0').slice(0, 2), await back.collect('orphan0'));
    await back.close();
  });

  it('leaves another user unaffected by a user at the bound', async () => {
    const ada = await connectAs(sluice.wsUrl, adaKey);
    await startStreaming(ada, ids('ada', perUser));
    const bob = await connectAs(sluice.wsUrl, bobKey);
    await startStreaming(bob, ['bob0']);
    ask(ada, 'ada-more');
    assert.equal((await ada.collect('ada-more'))[0]?.code, 'rate_limited');
    upstream.open();
    assert.equal((await bob.collect('bob0')).at(-1)?.finish_reason, 'stop');
    await Promise.all([ada.close(), bob.close()]);
  });

  it('gives anonymous users a budget per address', async () => {
    const anonymous = (localAddress: string) =>
      connectTestClient(sluice.wsUrl, 'sluice.v1', { localAddress });
    const here = await anonymous('127.0.0.1');
    await startStreaming(here, ids('here', perUser));
    ask(here, 'here-more');
    assert.equal((await here.collect('here-more'))[0]?.code, 'rate_limited');
    const elsewhere = await anonymous('127.0.0.2');
    ask(elsewhere, 'elsewhere0');
    assert.equal((await elsewhere.next((event) => event.id === 'elsewhere0')).type, 'start');
    upstream.open();
    assert.equal((await elsewhere.collect('elsewhere0')).at(-1)?.finish_reason, 'stop');
    await Promise.all([here.close(), elsewhere.close()]);
  });
});
