import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type FakeOpenAiScript,
  type FakeOpenAiServer,
  startFakeOpenAiServer,
} from '../../fakes/fake-openai-server.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient, type ServerEvent } from '../../helpers/ws-test-client.ts';

const messages = [{ role: 'user', content: 'Hello' }];
const good: FakeOpenAiScript = { deltas: [{ content: 'fine' }, { content: ' thanks' }] };

/** A fake upstream whose next replies are queued by the test; then it answers `good`. */
async function scriptedUpstream() {
  const queue: FakeOpenAiScript[] = [];
  const server = await startFakeOpenAiServer({ script: () => queue.shift() ?? good });
  return Object.assign(server, {
    queue,
    calls: () => server.chatRequests().length,
  });
}

type Scripted = Awaited<ReturnType<typeof scriptedUpstream>>;

async function chat(sluice: TestSluice, model: string): Promise<ServerEvent[]> {
  const client = await connectTestClient(sluice.wsUrl);
  client.send({ type: 'chat', id: 'r', model, messages });
  const events = await client.collect('r');
  await client.close();
  return events;
}

describe('routing: failover before the first token', () => {
  let primary: Scripted;
  let backup: Scripted;
  let sluice: TestSluice;
  let refused: FakeOpenAiServer;

  before(async () => {
    primary = await scriptedUpstream();
    backup = await scriptedUpstream();
    refused = await startFakeOpenAiServer({ script: good });
    await refused.close();
    const target = (provider: string) => ({ provider, model: 'm-1' });
    sluice = await startTestSluice({
      providers: {
        primary: { type: 'openai-compatible', base_url: primary.baseUrl },
        backup: { type: 'openai-compatible', base_url: backup.baseUrl },
        gone: { type: 'openai-compatible', base_url: refused.baseUrl },
      },
      models: {
        pair: {
          targets: [target('primary'), target('backup')],
          retry: { attempts: 1 },
          breaker: { threshold: 1000 },
          timeouts: { first_token_ms: 300, idle_ms: 300 },
        },
        refused: { targets: [target('gone'), target('backup')], retry: { attempts: 1 } },
        retrying: { target: target('primary'), retry: { attempts: 2, base_delay_ms: 1, max_delay_ms: 5000 } },
        impatient: { target: target('primary'), retry: { attempts: 2, max_delay_ms: 500 } },
        alone: { target: target('primary'), retry: { attempts: 1 }, timeouts: { idle_ms: 300 } },
      },
    });
  });
  after(async () => {
    await sluice.close();
    await primary.close();
    await backup.close();
  });

  it('moves to the next target when the first refuses the connection, and start names the one that answered', async () => {
    const events = await chat(sluice, 'refused');
    assert.deepEqual(events[0], { type: 'start', id: 'r', model: 'm-1', provider: 'backup', cached: false });
    assert.equal(events.at(-1)?.type, 'done');
  });

  for (const [name, failure] of [
    [
      'a 500',
      {
        httpError: { status: 500, error: { message: 'boom', type: 'server_error', param: null, code: null } },
      },
    ],
    [
      'a 429',
      {
        httpError: {
          status: 429,
          error: { message: 'slow down', type: 'rate_limit', param: null, code: null },
        },
      },
    ],
    ['a reset before output', { ending: { type: 'drop-connection' } }],
    ['a stall before the first token', { stallBeforeHeaders: true }],
  ] as Array<[string, FakeOpenAiScript]>) {
    it(`fails over on ${name}, transparently to the client`, async () => {
      primary.queue.push(failure);
      const before = backup.calls();
      const events = await chat(sluice, 'pair');
      assert.equal(events[0]?.provider, 'backup');
      assert.equal(
        events
          .filter((event) => event.type === 'delta')
          .map((event) => event.text)
          .join(''),
        'fine thanks',
      );
      assert.equal(events.at(-1)?.type, 'done');
      assert.equal(backup.calls(), before + 1);
    });
  }

  it('never retries once output has reached the client: the request ends with upstream_error and its usage counts', async () => {
    primary.queue.push({
      deltas: [{ content: 'partial' }, { content: ' answer' }],
      ending: { type: 'drop-connection' },
    });
    const primaryBefore = primary.calls();
    const backupBefore = backup.calls();
    const events = await chat(sluice, 'pair');
    assert.equal(events[0]?.provider, 'primary');
    assert.equal(events.filter((event) => event.type === 'delta').length, 2);
    assert.equal(events.at(-1)?.type, 'error');
    assert.equal(events.at(-1)?.code, 'upstream_error');
    assert.equal(primary.calls(), primaryBefore + 1);
    assert.equal(backup.calls(), backupBefore, 'the backup was never asked');
    const line = sluice.logLines().findLast((entry) => entry.event === 'request_end');
    assert.equal(line?.outcome, 'upstream_error');
    assert.equal(line?.output_tokens, 2, 'the streamed part is counted');
  });

  it('ends a stream that stalls between tokens with upstream_timeout', async () => {
    primary.queue.push({ deltas: [{ content: 'one' }], ending: { type: 'stall' } });
    const closed = primary.nextConnectionClose();
    const events = await chat(sluice, 'alone');
    assert.equal(events.at(-1)?.code, 'upstream_timeout');
    await closed;
  });

  it('honours Retry-After before retrying the same target', async () => {
    primary.queue.push({
      httpError: {
        status: 429,
        retryAfter: '1',
        error: { message: 'wait', type: 'rate_limit', param: null, code: null },
      },
    });
    const before = primary.calls();
    const events = await chat(sluice, 'retrying');
    assert.equal(events.at(-1)?.type, 'done');
    const [first, second] = primary.chatRequests().slice(before);
    assert.ok(first && second, 'two calls: the 429, then the retry');
    const waited = second.receivedAt - first.receivedAt;
    assert.ok(waited >= 990, `retried after ${waited} ms, before the 1 s Retry-After`);
  });

  it('does not wait out a Retry-After longer than max_delay_ms: the request fails at once with its retry_after_ms', async () => {
    primary.queue.push({
      httpError: {
        status: 503,
        retryAfter: '60',
        error: { message: 'later', type: 'server_error', param: null, code: null },
      },
    });
    const before = primary.calls();
    const events = await chat(sluice, 'impatient');
    assert.equal(events.at(-1)?.code, 'upstream_error');
    assert.equal(events.at(-1)?.retry_after_ms, 60_000);
    assert.equal(primary.calls(), before + 1);
  });
});
