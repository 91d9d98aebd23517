import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type FakeHttpServer,
  startFakeHttpServer,
  startSseResponse,
  writeSseEvent,
} from '../../fakes/fake-http-server.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { until } from '../../helpers/until.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

const reportedCompletionTokens = 40;

function chunk(
  delta: Record<string, unknown>,
  finishReason: string | null = null,
  usage?: Record<string, number>,
) {
  return JSON.stringify({
    id: 'chatcmpl-drain',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'drain-1',
    choices: usage ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(usage ? { usage } : {}),
  });
}

describe('quota: what a cancel costs', () => {
  let upstream: FakeHttpServer;
  let release: () => void = () => {};
  let sluice: TestSluice;
  before(async () => {
    // Three words, then (once the test says so) the rest of a 40-token reply and its usage.
    upstream = await startFakeHttpServer(async (_request, response) => {
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      startSseResponse(response);
      await writeSseEvent(response, chunk({ role: 'assistant', content: '' }));
      for (const word of ['one', ' two', ' three']) await writeSseEvent(response, chunk({ content: word }));
      await gate;
      if (response.destroyed) return;
      for (let index = 3; index < reportedCompletionTokens; index++)
        await writeSseEvent(response, chunk({ content: ' more' }));
      await writeSseEvent(response, chunk({}, 'stop'));
      await writeSseEvent(
        response,
        chunk({}, null, { prompt_tokens: 11, completion_tokens: reportedCompletionTokens, total_tokens: 51 }),
      );
      await writeSseEvent(response, '[DONE]');
      response.end();
    });
    sluice = await startTestSluice({
      auth: { anonymous: { enabled: true }, admin_keys: [] },
      providers: { upstream: { type: 'openai-compatible', base_url: `${upstream.url}/v1` } },
      models: {
        drained: { target: { provider: 'upstream', model: 'drain-1' }, on_cancel: 'drain' },
        aborted: { target: { provider: 'upstream', model: 'drain-1' } },
      },
    });
  });
  after(async () => {
    await sluice.close();
    await upstream.close();
  });

  async function ledgerRow(model: string) {
    const response = await fetch(`${sluice.url}/v1/usage`);
    const body = (await response.json()) as {
      usage: Array<{ model: string; output_tokens: number; input_tokens: number }>;
    };
    return body.usage.find((row) => row.model === model);
  }

  it('with on_cancel: drain, frees the client at once and bills the usage the upstream reports', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    client.send({ type: 'chat', id: 'd', model: 'drained', messages: [{ role: 'user', content: 'count' }] });
    await client.next((event) => event.id === 'd' && event.seq === 3);
    client.send({ type: 'cancel', id: 'd' });
    const done = (await client.collect('d')).at(-1)!;
    assert.equal(done.finish_reason, 'cancelled');
    assert.equal((done.usage as { output_tokens: number }).output_tokens, 3);
    release();
    await until(async () => (await ledgerRow('drained'))?.output_tokens === reportedCompletionTokens);
    assert.equal((await ledgerRow('drained'))?.input_tokens, 11);
    await client.close();
  });

  it('with on_cancel: abort (the default), stops the upstream and bills the streamed text', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    const closed = upstream.nextConnectionClose();
    client.send({ type: 'chat', id: 'a', model: 'aborted', messages: [{ role: 'user', content: 'count' }] });
    await client.next((event) => event.id === 'a' && event.seq === 3);
    client.send({ type: 'cancel', id: 'a' });
    assert.equal((await client.collect('a')).at(-1)?.finish_reason, 'cancelled');
    await closed;
    assert.equal((await ledgerRow('aborted'))?.output_tokens, 3);
    await client.close();
  });
});
