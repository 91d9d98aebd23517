import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient, type ServerEvent } from '../../helpers/ws-test-client.ts';

const hello = [{ role: 'user', content: 'Hi there' }];

/** Asserts the protocol's shape of one request: start, deltas numbered 1..n, one terminal numbered n+1. */
function assertWellFormedStream(events: ServerEvent[]): void {
  assert.equal(events[0]?.type, 'start');
  const deltas = events.slice(1, -1);
  assert.ok(deltas.length > 0);
  deltas.forEach((event, index) => {
    assert.equal(event.type, 'delta');
    assert.equal(event.seq, index + 1);
  });
  const last = events.at(-1);
  assert.equal(last?.type, 'done');
  assert.equal(last?.seq, deltas.length + 1);
}

describe('WebSocket door: streaming', () => {
  let sluice: TestSluice;
  before(async () => {
    sluice = await startTestSluice();
  });
  after(() => sluice.close());

  it('selects sluice.v1 and greets with ready, the user and the models', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    assert.equal(client.socket.protocol, 'sluice.v1');
    const ready = await client.next();
    assert.deepEqual(ready, {
      type: 'ready',
      protocol: 'sluice.v1',
      user: 'anonymous:anonymous',
      limits: { plan: 'default' },
      models: ['demo'],
    });
    await client.close();
  });

  it('accepts a client that offers no subprotocol', async () => {
    const plain = await connectTestClient(sluice.wsUrl, []);
    assert.equal(plain.socket.protocol, '');
    assert.equal((await plain.next()).type, 'ready');
    await plain.close();
  });

  it('streams start, numbered deltas and one done with usage', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    client.send({ type: 'chat', id: 'a1', model: 'demo', messages: hello });
    const events = await client.collect('a1');
    assertWellFormedStream(events);
    assert.deepEqual(events[0], { type: 'start', id: 'a1', model: 'demo', provider: 'demo', cached: false });
    const text = events
      .filter((event) => event.type === 'delta')
      .map((event) => event.text)
      .join('');
    assert.match(text, /^You said: "Hi there"\. Hello from Sluice!/);
    assert.ok(
      events.some((event) => event.text === ' Hello'),
      'streamed token by token',
    );
    const done = events.at(-1)!;
    assert.equal(done.finish_reason, 'stop');
    const usage = done.usage as { input_tokens: number; output_tokens: number };
    assert.equal(usage.output_tokens, events.length - 2);
    assert.ok(usage.input_tokens > 0);
    await client.close();
  });

  it('runs many requests at once on one connection, each ended by exactly one done', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    const ids = Array.from({ length: 20 }, (_, index) => `r${index}`);
    for (const id of ids) {
      client.send({
        type: 'chat',
        id,
        model: 'demo',
        messages: [{ role: 'user', content: `question ${id}` }],
      });
    }
    const streams = await Promise.all(ids.map((id) => client.collect(id)));
    for (const [index, events] of streams.entries()) {
      assertWellFormedStream(events);
      const text = events.map((event) => event.text ?? '').join('');
      assert.match(text, new RegExp(`question r${index}"`));
    }
    const terminals = client.events.filter((event) => event.type === 'done' || event.type === 'error');
    assert.equal(terminals.length, ids.length);
    await client.close();
  });

  it('honours max_tokens with finish_reason length', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    client.send({ type: 'chat', id: 'short', model: 'demo', messages: hello, max_tokens: 3 });
    const events = await client.collect('short');
    assert.equal(events.filter((event) => event.type === 'delta').length, 3);
    assert.equal(events.at(-1)?.finish_reason, 'length');
    await client.close();
  });

  it('answers an unknown model with not_found', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    client.send({ type: 'chat', id: 'x', model: 'no-such-model', messages: hello });
    assert.deepEqual(await client.collect('x'), [
      { type: 'error', id: 'x', code: 'not_found', message: 'unknown model "no-such-model"' },
    ]);
    await client.close();
  });

  it('refuses upgrades on other paths with 404', async () => {
    await assert.rejects(connectTestClient(sluice.wsUrl.replace('/v1/ws', '/elsewhere')), /404/);
  });

  it('logs one line per request end with its outcome, tokens and timings', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    client.send({ type: 'chat', id: 'logged', model: 'demo', messages: hello });
    await client.collect('logged');
    await client.close();
    const line = sluice
      .logLines()
      .find((entry) => entry.event === 'request_end' && entry.client_request_id === 'logged');
    assert.ok(line, 'a request_end line');
    assert.equal(line.user, 'anonymous:anonymous');
    assert.equal(line.model, 'demo');
    assert.equal(line.provider, 'demo');
    assert.equal(line.outcome, 'stop');
    assert.equal(typeof line.request_id, 'string');
    assert.equal(typeof line.output_tokens, 'number');
    assert.equal(typeof line.duration_ms, 'number');
    assert.equal(typeof line.ttft_ms, 'number');
  });
});
