import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { type LongSseServer, startLongSseServer } from '../../fakes/fake-sse-server.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { until } from '../../helpers/until.ts';
import { authWithKey, sdkClient, sluiceApiKey } from './http-door-test-kit.ts';

const question = [{ role: 'user' as const, content: 'Count for me' }];

/** Resolves once the connection that carried the fake's latest chat request has closed. */
async function latestChatConnectionClosed(upstream: FakeOpenAiServer): Promise<void> {
  const index = upstream.chatRequests().length - 1;
  while (upstream.chatConnectionIsOpen(index)) await upstream.nextConnectionClose();
}

describe('HTTP door: a client that hangs up', () => {
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
      auth: authWithKey(),
    });
  });
  after(async () => {
    await sluice.close();
    await upstream.close();
  });

  const requestEnd = (id: string) =>
    sluice.logLines().find((entry) => entry.event === 'request_end' && entry.client_request_id === id);

  it('closes the upstream connection when the SDK leaves a stream early, and ends it as cancelled', async () => {
    const stream = await sdkClient(`${sluice.url}/v1`, sluiceApiKey).chat.completions.create({
      model: 'counter',
      messages: question,
      stream: true,
    });
    let text = '';
    let id = '';
    for await (const chunk of stream) {
      id = chunk.id;
      text += chunk.choices[0]?.delta.content ?? '';
      if (text === 'one two three') break;
    }
    await latestChatConnectionClosed(upstream);
    await until(() => requestEnd(id) !== undefined);
    assert.equal(requestEnd(id)?.outcome, 'cancelled');
    assert.equal(requestEnd(id)?.output_tokens, 3, 'the streamed words are billed');
  });

  it('closes the upstream connection when a non-streaming call is aborted', async () => {
    const controller = new AbortController();
    const pending = sdkClient(`${sluice.url}/v1`, sluiceApiKey).chat.completions.create(
      { model: 'counter', messages: question },
      { signal: controller.signal },
    );
    const rejected = assert.rejects(pending, OpenAI.APIUserAbortError);
    await upstream.nextChatRequest();
    controller.abort();
    await rejected;
    await latestChatConnectionClosed(upstream);
  });
});

describe('HTTP door: a client that stops reading', () => {
  const eventCount = 60_000;
  const wordBytes = 1024;
  let upstream: LongSseServer;
  let sluice: TestSluice;
  const responses: ServerResponse[] = [];
  before(async () => {
    const padding = 'x'.repeat(wordBytes);
    upstream = await startLongSseServer({
      eventCount,
      eventData: (index) =>
        JSON.stringify({ choices: [{ index: 0, delta: { content: `${index}:${padding}|` } }] }),
    });
    sluice = await startTestSluice({
      providers: { long: { type: 'sse', url: upstream.url, text_path: '/choices/0/delta/content' } },
      models: { long: { target: { provider: 'long', model: 'long-1' } } },
      auth: authWithKey(),
    });
    sluice.server.on('request', (_request: IncomingMessage, response: ServerResponse) =>
      responses.push(response),
    );
  });
  after(async () => {
    await sluice.close();
    await upstream.close();
  });

  it('stops reading the upstream while the client reads nothing, then delivers everything in order', async () => {
    const request = httpRequest(`${sluice.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sluiceApiKey}`, 'content-type': 'application/json' },
    });
    request.end(
      JSON.stringify({ model: 'long', messages: [{ role: 'user', content: 'everything' }], stream: true }),
    );
    // The response is not read: no 'data' listener, so its bytes pile up in the socket buffers.
    const [response] = (await once(request, 'response')) as [IncomingMessage];
    assert.equal(response.statusCode, 200);

    await until(() => responses[0]?.writableNeedDrain === true);
    const writtenWhileStalled = await upstream.writerBlocked();
    const serverSide = responses[0]!;
    assert.ok(
      // At most the stream's own buffer and the event that filled it.
      serverSide.writableLength <= serverSide.writableHighWaterMark + 2 * wordBytes,
      `Sluice queued ${serverSide.writableLength} bytes for a client that reads nothing`,
    );
    assert.ok(
      writtenWhileStalled < eventCount / 4,
      `the upstream wrote ${writtenWhileStalled} of ${eventCount} events while the client read nothing`,
    );

    response.setEncoding('utf8');
    let body = '';
    response.on('data', (text: string) => {
      body += text;
    });
    await once(response, 'end');
    const events = body.split('\n\n').filter(Boolean);
    assert.equal(events.at(-1), 'data: [DONE]');
    const text = events
      .slice(0, -1)
      .map((event) => JSON.parse(event.slice('data: '.length)).choices[0]?.delta.content ?? '')
      .join('');
    const indexes = text
      .split('|')
      .filter(Boolean)
      .map((piece: string) => Number(piece.split(':')[0]));
    assert.equal(indexes.length, eventCount);
    assert.ok(
      indexes.every((value, position) => value === position),
      'every event, in order',
    );
    assert.equal(await upstream.streamEnded(), 'completed');
  });
});
