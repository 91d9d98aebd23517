import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient, type TestClient } from '../../helpers/ws-test-client.ts';

const text = (events: Array<Record<string, unknown>>) =>
  events
    .filter((event) => event.type === 'delta')
    .map((event) => event.text)
    .join('');

describe('hooks in a chat, end to end', () => {
  let upstream: FakeOpenAiServer;
  let sluice: TestSluice;
  let client: TestClient;
  before(async () => {
    upstream = await startFakeOpenAiServer({
      script: {
        deltas: [{ content: 'write to jo' }, { content: 'hn.doe@exam' }, { content: 'ple.com now' }],
      },
    });
    sluice = await startTestSluice({
      providers: { local: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { chat: { target: { provider: 'local', model: 'm' } } },
      hooks: [
        { use: 'blocked-terms', options: { terms: ['project nightjar'] } },
        { use: 'pii-redactor', options: { window_chars: 40 } },
        { use: 'test/fixtures/hooks/rewrite-message.ts' },
      ],
    });
    client = await connectTestClient(sluice.wsUrl);
  });
  after(async () => {
    await client.close();
    await sluice.close();
    await upstream.close();
  });

  it('redacts an email split across three deltas on its way to the client', async () => {
    client.send({
      type: 'chat',
      id: 'r',
      model: 'chat',
      messages: [{ role: 'user', content: 'Who do I write to?' }],
    });
    const events = await client.collect('r');
    assert.equal(text(events), 'write to [email] now');
    assert.equal(events.at(-1)?.finish_reason, 'stop');
  });

  it('redacts the input and runs a custom pre hook loaded from a path before the provider sees it', async () => {
    client.send({
      type: 'chat',
      id: 'i',
      model: 'chat',
      messages: [{ role: 'user', content: 'I am ada@example.org' }],
    });
    await client.collect('i');
    const sent = JSON.stringify(upstream.chatRequests().at(-1)?.json);
    assert.ok(!sent.includes('ada@example.org'), 'the email never reached the provider');
    assert.ok(sent.includes('[email]'));
  });

  it('refuses a request with a blocked term, with forbidden and without calling the provider', async () => {
    const calls = upstream.chatRequests().length;
    client.send({
      type: 'chat',
      id: 'b',
      model: 'chat',
      messages: [{ role: 'user', content: 'Tell me about Project Nightjar' }],
    });
    const refused = (await client.collect('b')).at(-1)!;
    assert.equal(refused.code, 'forbidden');
    assert.equal(upstream.chatRequests().length, calls);
  });
});

describe('a hook that throws', () => {
  it('fails that one request with internal and leaves Sluice serving', async () => {
    // A pre hook that throws on every request.
    const sluice = await startTestSluice({
      hooks: [{ use: 'test/fixtures/hooks/throw-error.ts', options: { stage: 'pre' } }],
    });
    try {
      const client = await connectTestClient(sluice.wsUrl);
      client.send({ type: 'chat', id: 'x', model: 'demo', messages: [{ role: 'user', content: 'hi' }] });
      const failed = (await client.collect('x')).at(-1)!;
      assert.equal(failed.code, 'internal');
      assert.match(String(failed.message), /hook ".*" failed/);
      client.send({
        type: 'chat',
        id: 'y',
        model: 'demo',
        messages: [{ role: 'user', content: 'hi again' }],
      });
      assert.equal(
        (await client.collect('y')).at(-1)?.code,
        'internal',
        'each request fails alone, the process lives',
      );
      await client.close();
    } finally {
      await sluice.close();
    }
  });

  it('is skipped with a log line when marked fail-open', async () => {
    const sluice = await startTestSluice({
      hooks: [{ use: 'test/fixtures/hooks/throw-error.ts', fail_open: true }],
    });
    try {
      const client = await connectTestClient(sluice.wsUrl);
      client.send({ type: 'chat', id: 'x', model: 'demo', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal((await client.collect('x')).at(-1)?.type, 'done');
      assert.ok(sluice.logLines().some((line) => line.level === 40 && line.hook !== undefined));
      await client.close();
    } finally {
      await sluice.close();
    }
  });
});

describe('a stream hook that throws', () => {
  it('ends its stream with internal', async () => {
    const sluice = await startTestSluice({
      hooks: [{ use: 'test/fixtures/hooks/throw-error.ts', options: { stage: 'stream' } }],
    });
    try {
      const client = await connectTestClient(sluice.wsUrl);
      client.send({ type: 'chat', id: 's', model: 'demo', messages: [{ role: 'user', content: 'hi' }] });
      const events = await client.collect('s');
      assert.equal(events.at(-1)?.code, 'internal');
      assert.equal(events.filter((event) => event.type === 'error').length, 1);
      await client.close();
    } finally {
      await sluice.close();
    }
  });
});
