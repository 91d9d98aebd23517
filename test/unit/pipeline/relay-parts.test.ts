import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admitRequest } from '../../../src/pipeline/admit-request.ts';
import { closeRequest } from '../../../src/pipeline/end-request.ts';
import { openSource } from '../../../src/pipeline/open-source.ts';
import { relayParts } from '../../../src/pipeline/relay-parts.ts';
import { collectEvents, openPipeline } from './pipeline-fixture.ts';

describe('relayParts: the relay stage', () => {
  let pipeline: Awaited<ReturnType<typeof openPipeline>>;
  before(async () => {
    pipeline = await openPipeline();
  });
  after(() => pipeline.close());

  /** A request past the admit and source stages, ready to relay. */
  const staged = async (client = new AbortController(), through = pipeline) => {
    const record = through.record({}, client);
    await admitRequest(record);
    return { record, source: await openSource(record) };
  };

  it('sends start and every part, and returns the finish without sending a terminal event', async () => {
    const { record, source } = await staged();
    const sink = collectEvents();
    const ending = await relayParts(record, source, sink.emit);
    assert.equal(ending.type, 'done');
    assert.equal(ending.type === 'done' && ending.finishReason, 'stop');
    assert.equal(sink.events[0]?.type, 'start');
    assert.ok(sink.events.length > 2, 'the reply came part by part');
    assert.deepEqual(
      sink.types().filter((type) => type === 'done' || type === 'error'),
      [],
      'the end stage, not the relay, sends done or error',
    );
    assert.ok(record.firstOutputMs !== undefined, 'the first output was timed');
    assert.equal(record.tally.hasOutput(), true, 'what streamed is tallied');
    await closeRequest(record);
  });

  it('runs the parts through the stream hooks and sends what they held back before returning', async () => {
    const hooked = await openPipeline({
      hooks: [{ use: 'test/fixtures/hooks/wrap-text.ts', options: { tag: 'w' } }],
    });
    after(() => hooked.close());
    const { record, source } = await staged(new AbortController(), hooked);
    const sink = collectEvents();
    const ending = await relayParts(record, source, sink.emit);
    assert.equal(ending.type, 'done');
    const texts = sink.events.flatMap((event) => (event.type === 'text-delta' ? [event.text] : []));
    assert.ok(texts[0]?.startsWith('w('), 'each delta went through the hook');
    assert.equal(texts.at(-1), 'w.', "the hook's flush came last");
    await closeRequest(record);
  });

  it('returns a failure when a stream hook throws, and stops the upstream', async () => {
    const hooked = await openPipeline({
      hooks: [{ use: 'test/fixtures/hooks/throw-error.ts', options: { stage: 'stream' } }],
    });
    after(() => hooked.close());
    const { record, source } = await staged(new AbortController(), hooked);
    const sink = collectEvents();
    const ending = await relayParts(record, source, sink.emit);
    assert.equal(ending.type, 'failed');
    assert.equal(ending.type === 'failed' && ending.error.code, 'internal');
    assert.equal(record.upstream.signal.aborted, true);
    assert.deepEqual(sink.types(), ['start']);
    await closeRequest(record);
  });

  it('cuts the stream at max_tokens when the provider goes past it, leaving the shared call', async () => {
    const { record, source } = await staged();
    let metered = 0;
    record.admission = { ...record.admission!, meter: () => ++metered <= 2 };
    const sink = collectEvents();
    const ending = await relayParts(record, source, sink.emit);
    assert.deepEqual(ending, { type: 'done', finishReason: 'length', usage: undefined });
    assert.deepEqual(sink.types(), ['start', 'text-delta', 'text-delta']);
    assert.equal(record.upstream.signal.reason, 'max_tokens reached');
    assert.equal(pipeline.hub.activeKeys(), 0, 'its only reader left, so the shared call is gone');
    await closeRequest(record);
  });

  it('returns aborted when the client cancels mid-stream', async () => {
    const client = new AbortController();
    const { record, source } = await staged(client);
    const sink = collectEvents();
    const ending = await relayParts(record, source, (event) => {
      if (event.type === 'text-delta') client.abort('cancelled by the client');
      return sink.emit(event);
    });
    assert.equal(ending.type, 'aborted');
    assert.deepEqual(sink.types(), ['start', 'text-delta'], 'nothing more once cancelled');
    await closeRequest(record);
  });
});
