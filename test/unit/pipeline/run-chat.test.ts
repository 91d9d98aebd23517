import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { providerKinds } from '../../../providers/index.ts';
import { createCoalescingHub } from '../../../src/cache/coalescing-hub.ts';
import { createGateway, type Gateway } from '../../../src/pipeline/create-gateway.ts';
import { createTargetRegistry } from '../../../src/routing/target-registry.ts';
import { type Backends, openBackends } from '../../../src/server/open-backends.ts';
import type { ChatRequest } from '../../../src/spec/chat-request.ts';
import type { GatewayEvent } from '../../../src/spec/gateway-event.ts';
import type { RequestObserver } from '../../../src/spec/request-observer.ts';
import type { SourceItem } from '../../../src/spec/source-item.ts';
import { testConfig } from '../../helpers/start-test-sluice.ts';

/** Lets everything that can run without new input run. */
const settle = async () => {
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
};

const identity = { user: 'alice', plan: 'default', kind: 'anonymous' as const, admin: false };

describe('runChat: events into a sink', () => {
  const hub = createCoalescingHub<SourceItem>();
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, callback) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        callback();
      },
    }),
  );
  const observer: RequestObserver = { requestStarted: () => {}, requestEnded: () => {} };
  let backends: Backends;
  let gateway: Gateway;
  let requests = 0;

  before(async () => {
    // Paced, so that the shared call is still running while a request reads it.
    const config = testConfig({ providers: { demo: { type: 'demo', token_delay_ms: 2 } } });
    backends = await openBackends(config, log);
    gateway = await createGateway(config, {
      store: backends.store,
      limiters: backends.limiters,
      registry: createTargetRegistry(),
      observer,
      stopping: new AbortController().signal,
      stopped: new AbortController().signal,
      cache: backends.cache,
      hub,
      baseDirectory: process.cwd(),
      providerKinds,
      log,
    });
  });
  after(() => backends.close());

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
      done: gateway.runChat(
        request,
        { requestId, identity, signal, log: log.child({ request_id: requestId }) },
        emit,
      ),
    };
  };

  const endLines = (requestId: string) =>
    lines.filter((line) => line.event === 'request_end' && line.request_id === requestId);

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
    assert.equal(hub.activeKeys(), 0, 'its only participant left, so the shared call is gone');
    await settle();
    const ends = endLines(requestId);
    assert.equal(ends.length, 1, 'one request end line');
    assert.equal(ends[0]?.outcome, 'abandoned');
  });
});
