import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { type GatedOpenAiUpstream, startGatedOpenAiUpstream } from '../../fakes/gated-openai-upstream.ts';
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

describe('resumable streams on one instance', () => {
  let upstream: GatedOpenAiUpstream;
  let sluice: TestSluice;
  before(async () => {
    upstream = await startGatedOpenAiUpstream({ words, beforeGate: wordsBeforeGate });
    // A grace period far longer than any test: a dropped request must wait for its client.
    sluice = await startTestSluice(resumeConfig(upstream.baseUrl, { resume: { grace_ms: 60_000 } }));
  });
  afterEach(() => upstream.close());
  after(async () => {
    await sluice.close();
    await upstream.stop();
  });

  it('carries a stream on after the client dropped its socket mid-stream: every event once, in order, whole', () =>
    dropAndResume(sluice.wsUrl, sluice.wsUrl, upstream, 'r1'));

  it('replays a request that finished while its client was away, from start to done', async () => {
    upstream.open();
    const client = await connectAs(sluice.wsUrl, adaKey);
    ask(client, 'r2');
    const whole = await client.collect('r2');
    await client.close();

    const again = await connectAs(sluice.wsUrl, adaKey);
    again.send({ type: 'resume', id: 'r2', after_seq: 0 });
    const replayed = await again.collect('r2');
    assert.deepEqual(replayed, whole, 'the same frames, start included');
    assertWholeReply([], replayed);
    await again.close();
  });

  it("refuses another user's resume with not_found and sends it nothing of the stream", () =>
    otherUserIsRefused(sluice.wsUrl, sluice.wsUrl, upstream, 'mine'));

  it('answers a resume of an unknown id with not_found', async () => {
    const client = await connectAs(sluice.wsUrl, adaKey);
    client.send({ type: 'resume', id: 'never-asked', after_seq: 3 });
    const answer = await client.collect('never-asked');
    assert.equal(answer.at(-1)?.code, 'not_found');
    await client.close();
  });

  it('lets the resumed client cancel the request, which ends with done, cancelled', async () => {
    const first = await connectAs(sluice.wsUrl, adaKey);
    ask(first, 'r3');
    await deltaSeq(first, 'r3', 1);
    first.socket.terminate();
    const second = await connectAs(sluice.wsUrl, adaKey);
    second.send({ type: 'resume', id: 'r3', after_seq: 1 });
    await deltaSeq(second, 'r3', wordsBeforeGate);
    second.send({ type: 'cancel', id: 'r3' });
    const end = (await second.collect('r3')).at(-1);
    assert.equal(end?.type, 'done');
    assert.equal(end?.finish_reason, 'cancelled');
    await until(() => upstream.openConnections() === 0);
    await second.close();
  });
});

describe('a dropped request whose client does not come back', () => {
  it('runs on for the grace period, then is aborted and billed as cancelled for what it produced', async () => {
    const upstream = await startGatedOpenAiUpstream({ words, beforeGate: wordsBeforeGate });
    const sluice = await startTestSluice(resumeConfig(upstream.baseUrl, { resume: { grace_ms: 300 } }));
    try {
      const client = await connectAs(sluice.wsUrl, adaKey);
      ask(client, 'lost');
      await deltaSeq(client, 'lost', wordsBeforeGate);
      client.socket.terminate();
      assert.equal(upstream.openConnections(), 1, 'not aborted at the disconnect');
      await until(() => upstream.openConnections() === 0);
      const endLine = () =>
        sluice.logLines().find((line) => line.event === 'request_end' && line.client_request_id === 'lost');
      await until(() => endLine() !== undefined);
      const end = endLine()!;
      assert.equal(end.outcome, 'cancelled');
      assert.equal(end.output_tokens, wordsBeforeGate);

      // The log keeps the request for its retention time: a late client still reads how it ended.
      const late = await connectAs(sluice.wsUrl, adaKey);
      late.send({ type: 'resume', id: 'lost', after_seq: wordsBeforeGate });
      const rest = await late.collect('lost');
      assert.deepEqual(
        rest.map((event) => [event.type, event.finish_reason, event.seq]),
        [['done', 'cancelled', wordsBeforeGate + 1]],
      );
      await late.close();
    } finally {
      await sluice.close();
      await upstream.stop();
    }
  });

  it('is cancelled at once when resuming is turned off', async () => {
    const upstream = await startGatedOpenAiUpstream({ words, beforeGate: wordsBeforeGate });
    const sluice = await startTestSluice(resumeConfig(upstream.baseUrl, { resume: { enabled: false } }));
    try {
      const client = await connectAs(sluice.wsUrl, adaKey);
      ask(client, 'gone');
      await deltaSeq(client, 'gone', 1);
      client.socket.terminate();
      await until(() => upstream.openConnections() === 0);
      const other = await connectAs(sluice.wsUrl, adaKey);
      other.send({ type: 'resume', id: 'gone', after_seq: 1 });
      assert.equal((await other.collect('gone')).at(-1)?.code, 'not_found');
      await other.close();
    } finally {
      await sluice.close();
      await upstream.stop();
    }
  });
});
