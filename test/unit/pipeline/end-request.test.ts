import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../../../src/errors/gateway-error.ts';
import { admitRequest } from '../../../src/pipeline/admit-request.ts';
import { closeRequest, endRequest } from '../../../src/pipeline/end-request.ts';
import { openSource } from '../../../src/pipeline/open-source.ts';
import { relayParts } from '../../../src/pipeline/relay-parts.ts';
import type { RequestRecord } from '../../../src/pipeline/request-record.ts';
import type { ChatRequest } from '../../../src/spec/chat-request.ts';
import { collectEvents, openPipeline } from './pipeline-fixture.ts';

describe('endRequest and closeRequest: the end stage', () => {
  let pipeline: Awaited<ReturnType<typeof openPipeline>>;
  before(async () => {
    pipeline = await openPipeline({
      // Paced, so that a drained upstream is still running when its client has been answered.
      providers: { slow: { type: 'demo', token_delay_ms: 2 } },
      models: { drained: { target: { provider: 'slow', model: 'demo' }, on_cancel: 'drain' } },
    });
  });
  after(() => pipeline.close());

  /** Runs the admit, source and relay stages, and returns how the relay ended. */
  const relayed = async (record: RequestRecord, emit = collectEvents().emit) => {
    await admitRequest(record);
    return relayParts(record, await openSource(record), emit);
  };

  const endLine = (record: RequestRecord) =>
    pipeline.lines.filter(
      (line) => line.event === 'request_end' && line.request_id === record.context.requestId,
    );

  it('turns a finished reply into one done with the booked usage and the quota state, and logs one end line', async () => {
    const record = pipeline.record();
    const ending = await relayed(record);
    const sink = collectEvents();
    await endRequest(record, ending, sink.emit);
    await closeRequest(record);
    assert.deepEqual(sink.types(), ['done']);
    const [done] = sink.events;
    assert.equal(done?.type === 'done' && done.finishReason, 'stop');
    assert.ok(done?.type === 'done' && done.usage.outputTokens > 0);
    assert.equal(record.outcome, 'stop');
    assert.equal(endLine(record).length, 1);
    assert.equal(endLine(record)[0]?.outcome, 'stop');
  });

  it('answers a refused request with an error carrying no usage, billed as nothing', async () => {
    const record = pipeline.record({ model: 'no-such-model' });
    const refusal = await admitRequest(record).then(
      () => assert.fail('an unknown model is refused'),
      (error: unknown) => error,
    );
    const sink = collectEvents();
    await endRequest(record, { type: 'refused', error: refusal }, sink.emit);
    await closeRequest(record);
    assert.equal(sink.events.length, 1);
    const [event] = sink.events;
    assert.equal(event?.type, 'error');
    assert.equal(event?.type === 'error' && event.error.code, 'not_found');
    assert.equal(event?.type === 'error' && event.usage, undefined);
    assert.equal(record.failed, true);
    assert.equal(endLine(record)[0]?.outcome, 'not_found');
  });

  it('answers a request refused after its client left with a cancelled done, not an error', async () => {
    const client = new AbortController();
    const record = pipeline.record({}, client);
    client.abort('cancelled by the client');
    const sink = collectEvents();
    await endRequest(record, { type: 'refused', error: new Error('aborted') }, sink.emit);
    await closeRequest(record);
    assert.deepEqual(sink.types(), ['done']);
    assert.equal(sink.events[0]?.type === 'done' && sink.events[0].finishReason, 'cancelled');
  });

  it('ends a request failed from outside (a GatewayError reason) with that error and what was streamed', async () => {
    const client = new AbortController();
    const record = pipeline.record({}, client);
    const ending = await relayed(record, (event) => {
      if (event.type === 'text-delta') client.abort(new GatewayError('upstream_timeout', 'too slow'));
      return undefined;
    });
    assert.equal(ending.type, 'aborted');
    const sink = collectEvents();
    await endRequest(record, ending, sink.emit);
    await closeRequest(record);
    const [event] = sink.events;
    assert.equal(event?.type === 'error' && event.error.code, 'upstream_timeout');
    assert.ok(
      event?.type === 'error' && event.usage && event.usage.outputTokens > 0,
      'billed for what streamed',
    );
  });

  it('with on_cancel: drain, answers the cancel at once and settles once the upstream has been read to its end', async () => {
    const client = new AbortController();
    const request: Partial<ChatRequest> = { model: 'drained' };
    const record = pipeline.record(request, client);
    const ending = await relayed(record, (event) => {
      if (event.type === 'text-delta') client.abort('cancelled by the client');
      return undefined;
    });
    const ended = pipeline.nextEnd();
    const sink = collectEvents();
    await endRequest(record, ending, sink.emit);
    await closeRequest(record);
    const [done] = sink.events;
    assert.equal(done?.type === 'done' && done.finishReason, 'cancelled');
    assert.deepEqual(done?.type === 'done' && done.quota, {}, 'the true usage is not known yet');
    assert.equal(endLine(record).length, 0, 'the request ends once its upstream has been drained');
    const summary = await ended;
    assert.equal(summary.outcome, 'cancelled');
    assert.equal(endLine(record).length, 1);
    assert.ok(
      (summary.outputTokens ?? 0) > (done?.type === 'done' ? done.usage.outputTokens : 0),
      'the drained rest was billed too',
    );
  });

  it('bills a request whose sink failed before its end as abandoned, and stops its upstream', async () => {
    const record = pipeline.record();
    await assert.rejects(
      relayed(record, (event) => {
        if (event.type === 'text-delta') throw new Error('the door broke');
        return undefined;
      }),
      /the door broke/,
    );
    await closeRequest(record);
    assert.equal(record.outcome, 'abandoned');
    assert.equal(record.upstream.signal.reason, 'abandoned');
    assert.equal(endLine(record)[0]?.outcome, 'abandoned');
  });
});
