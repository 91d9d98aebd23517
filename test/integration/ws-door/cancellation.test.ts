import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

const question = [{ role: 'user', content: 'Count for me' }];

describe('WebSocket door: cancellation', () => {
  let upstream: FakeOpenAiServer;
  let sluice: TestSluice;
  before(async () => {
    // Three words, then silence: the stream only ends when Sluice hangs up.
    upstream = await startFakeOpenAiServer({
      script: {
        deltas: [{ content: 'one' }, { content: ' two' }, { content: ' three' }],
        ending: { type: 'stall' },
      },
    });
    sluice = await startTestSluice({
      providers: { local: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { counter: { target: { provider: 'local', model: 'counter-1' } } },
      // Without resumable streams a disconnect cancels at once (test/integration/resume covers the grace period).
      resume: { enabled: false },
    });
  });
  after(async () => {
    await sluice.close();
    await upstream.close();
  });

  it('closes the upstream connection on cancel and ends with done, cancelled, and the usage so far', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    const upstreamClosed = upstream.nextConnectionClose();
    client.send({ type: 'chat', id: 'c1', model: 'counter', messages: question });
    await client.next((event) => event.id === 'c1' && event.seq === 3);
    client.send({ type: 'cancel', id: 'c1' });
    const events = await client.collect('c1');
    const done = events.at(-1)!;
    assert.equal(done.type, 'done');
    assert.equal(done.finish_reason, 'cancelled');
    assert.equal(done.seq, 4);
    const usage = done.usage as { input_tokens: number; output_tokens: number };
    assert.equal(usage.output_tokens, 3, 'the three streamed words, counted by the tokenizer');
    assert.ok(usage.input_tokens > 0);
    await upstreamClosed;
    const index = upstream.chatRequests().length - 1;
    assert.equal(upstream.chatConnectionIsOpen(index), false);
    const line = sluice
      .logLines()
      .find((entry) => entry.event === 'request_end' && entry.client_request_id === 'c1');
    assert.equal(line?.outcome, 'cancelled');
    await client.close();
  });

  it('closes the upstream connection when the client disconnects mid-stream', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    const upstreamClosed = upstream.nextConnectionClose();
    client.send({ type: 'chat', id: 'gone', model: 'counter', messages: question });
    await client.next((event) => event.id === 'gone' && event.seq === 3);
    client.socket.terminate();
    await upstreamClosed;
    const index = upstream.chatRequests().length - 1;
    assert.equal(upstream.chatConnectionIsOpen(index), false);
  });

  it('cancels one request and leaves the others on the connection running', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    client.send({ type: 'chat', id: 'stalled', model: 'counter', messages: question });
    await client.next((event) => event.id === 'stalled' && event.seq === 3);
    client.send({ type: 'chat', id: 'demo', model: 'demo', messages: question });
    client.send({ type: 'cancel', id: 'stalled' });
    assert.equal((await client.collect('stalled')).at(-1)?.finish_reason, 'cancelled');
    assert.equal((await client.collect('demo')).at(-1)?.finish_reason, 'stop');
    await client.close();
  });
});
