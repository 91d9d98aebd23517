import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as wait } from 'node:timers/promises';
import { startGatedOpenAiUpstream } from '../../fakes/gated-openai-upstream.ts';
import { connectTestRedis } from '../../helpers/redis-test-connection.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { until } from '../../helpers/until.ts';
import {
  adaKey,
  ask,
  assertWholeReply,
  connectAs,
  deltaSeq,
  dropAndResume,
  otherUserIsRefused,
  resumeConfig,
  words,
  wordsBeforeGate,
} from './resume-kit.ts';

/** Two instances on one Redis (a prefix of this test's own) in front of one gated upstream. */
async function startPair(t: TestContext, graceMs: number) {
  const redis = await connectTestRedis(t);
  if (!redis) return undefined;
  const upstream = await startGatedOpenAiUpstream({ words, beforeGate: wordsBeforeGate });
  const config = resumeConfig(upstream.baseUrl, {
    store: { backend: 'redis', redis: { url: redis.url, prefix: redis.prefix } },
    resume: { grace_ms: graceMs },
  });
  const instances: TestSluice[] = [];
  t.after(async () => {
    await Promise.all(instances.map((instance) => instance.close()));
    await upstream.stop();
  });
  instances.push(await startTestSluice(config), await startTestSluice(config));
  return { upstream, a: instances[0]!, b: instances[1]! };
}

describe('resumable streams across instances sharing Redis', () => {
  it('resumes on instance B a stream whose socket dropped on A: every event once, in order, whole', async (t) => {
    const pair = await startPair(t, 60_000);
    if (!pair) return;
    const { upstream, a, b } = pair;
    await dropAndResume(a.wsUrl, b.wsUrl, upstream, 'r1');

    // Finished: a resume on either instance replays it whole.
    const late = await connectAs(b.wsUrl, adaKey);
    late.send({ type: 'resume', id: 'r1', after_seq: 0 });
    assertWholeReply([], await late.collect('r1'));
    await late.close();
  });

  it("refuses another user's resume on the other instance", async (t) => {
    const pair = await startPair(t, 60_000);
    if (!pair) return;
    await otherUserIsRefused(pair.a.wsUrl, pair.b.wsUrl, pair.upstream, 'mine');
  });

  it('keeps a request running past its grace period while a client on another instance reads it, and cancels it from there', async (t) => {
    const pair = await startPair(t, 500);
    if (!pair) return;
    const { upstream, a, b } = pair;
    const first = await connectAs(a.wsUrl, adaKey);
    // Connected beforehand, so that the resume follows the drop well within the grace period.
    const second = await connectAs(b.wsUrl, adaKey);
    ask(first, 'r2');
    await deltaSeq(first, 'r2', wordsBeforeGate);
    first.socket.terminate();
    second.send({ type: 'resume', id: 'r2', after_seq: wordsBeforeGate });
    // Several grace periods: A must see B's reader and keep the upstream open.
    await wait(2000);
    assert.equal(upstream.openConnections(), 1, 'still running while B reads it');
    second.send({ type: 'cancel', id: 'r2' });
    const end = (await second.collect('r2')).at(-1);
    assert.equal(end?.type, 'done');
    assert.equal(end?.finish_reason, 'cancelled');
    await until(() => upstream.openConnections() === 0);
    await second.close();
  });
});
