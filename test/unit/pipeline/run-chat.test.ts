import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runChat } from '../../../src/pipeline/run-chat.ts';
import type { ChatRequest } from '../../../src/spec/chat-request.ts';
import type { GatewayEvent } from '../../../src/spec/gateway-event.ts';
import { identity, openPipeline } from './pipeline-fixture.ts';

/** Lets everything that can run without new input run. */
const settle = async () => {
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
};

describe('runChat: events into a sink', () => {
  let pipeline: Awaited<ReturnType<typeof openPipeline>>;
  let requests = 0;

  before(async () => {
    // Paced, so that the shared call is still running while a request reads it.
    pipeline = await openPipeline({ providers: { demo: { type: 'demo', token_delay_ms: 2 } } });
  });
  after(() => pipeline.close());

  /** Runs a request of its own (a prompt no other request shares) into `emit`. */
  const run = (emit: (event: GatewayEvent) => Promise<void> | undefined) => {
    requests += 1;
    const request: ChatRequest = {
      id: `r${requests}`,
      model: 'demo',
      messages: [{ role: 'user', content: `Tell me something, take ${requests}` }],
    };
    const requestId = `request-${requests}`;
    const signal = new AbortController().signal;
    return {
      requestId,
      done: runChat(
        request,
        { requestId, identity, signal, log: pipeline.log.child({ request_id: requestId }) },
        pipeline.steps,
        emit,
      ),
    };
  };

  const endLines = (requestId: string) =>
    pipeline.lines.filter((line) => line.event === 'request_end' && line.request_id === requestId);

  it('hands on the next event only once the promise the sink returned has settled', async () => {
    const events: GatewayEvent[] = [];
    const hold = Promise.withResolvers<void>();
    const { done } = run((event) => {
      events.push(event);
      return events.length === 2 ? hold.promise : undefined;
    });
    await settle();
    assert.deepEqual(
      events.map((event) => event.type),
      ['start', 'text-delta'],
      'nothing more while the sink holds the second event',
    );
    hold.resolve();
    await done;
    assert.ok(events.length > 3, 'the rest of the reply came once the sink let go');
    const terminals = events.filter((event) => event.type === 'done' || event.type === 'error');
    assert.deepEqual(terminals, [events.at(-1)]);
    assert.equal(events.at(-1)?.type, 'done');
  });

  it('ends the request as abandoned when the sink throws, leaves the shared call, and rejects with the error', async () => {
    const events: GatewayEvent[] = [];
    const { requestId, done } = run((event) => {
      events.push(event);
      if (event.type === 'text-delta') throw new Error('the door broke');
      return undefined;
    });
    await assert.rejects(done, /the door broke/);
    assert.deepEqual(
      events.map((event) => event.type),
      ['start', 'text-delta'],
    );
    assert.equal(pipeline.hub.activeKeys(), 0, 'its only participant left, so the shared call is gone');
    await settle();
    const ends = endLines(requestId);
    assert.equal(ends.length, 1, 'one request end line');
    assert.equal(ends[0]?.outcome, 'abandoned');
  });
});
