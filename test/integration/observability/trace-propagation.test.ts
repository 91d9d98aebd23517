import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseTraceparent } from '../../../src/tracing/traceparent.ts';
import { startFakeAnthropicServer } from '../../fakes/fake-anthropic-server.ts';
import type { FakeHttpServer } from '../../fakes/fake-http-server.ts';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { startFakeSseServer } from '../../fakes/fake-sse-server.ts';
import {
  type FakeWebSocketUpstream,
  startFakeWebSocketUpstream,
} from '../../fakes/fake-websocket-upstream.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient, type TestClient } from '../../helpers/ws-test-client.ts';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const clientSpanId = '00f067aa0ba902b7';
const clientTraceparent = `00-${traceId}-${clientSpanId}-01`;
const messages = [{ role: 'user', content: 'Hi' }];

/** Asserts that `header` continues the client's trace: same trace id and flags, a new valid span id. */
function assertContinuesClientTrace(header: unknown): void {
  assert.equal(typeof header, 'string', 'the upstream received a traceparent header');
  assert.match(header as string, /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
  const sent = parseTraceparent(header);
  assert.ok(sent, `${header} is a valid traceparent`);
  assert.equal(sent.traceId, traceId);
  assert.notEqual(sent.parentId, clientSpanId, 'Sluice sends its own span id, not the client’s');
  assert.equal(sent.flags, 1);
}

/** Sends one chat and waits for it to end with `done`. */
async function chat(client: TestClient, id: string, model: string, metadata?: Record<string, unknown>) {
  client.send({ type: 'chat', id, model, messages, ...(metadata ? { metadata } : {}) });
  const last = (await client.collect(id)).at(-1);
  assert.equal(last?.type, 'done', JSON.stringify(last));
}

describe('trace context sent upstream', () => {
  let openAi: FakeOpenAiServer;
  let anthropic: Awaited<ReturnType<typeof startFakeAnthropicServer>>;
  let sse: FakeHttpServer;
  let webSocket: FakeWebSocketUpstream;
  let sluice: TestSluice;
  let client: TestClient;

  before(async () => {
    openAi = await startFakeOpenAiServer({ script: { deltas: [{ content: 'Hello' }] } });
    anthropic = await startFakeAnthropicServer();
    sse = await startFakeSseServer({
      events: [
        { data: JSON.stringify({ choices: [{ delta: { content: 'Hello' }, finish_reason: null }] }) },
        { data: JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] }) },
        { data: '[DONE]' },
      ],
    });
    webSocket = await startFakeWebSocketUpstream({
      steps: [{ message: { text: 'Hello' } }, { message: { text: '', done: true, finish_reason: 'stop' } }],
    });
    sluice = await startTestSluice({
      providers: {
        compatible: { type: 'openai-compatible', base_url: openAi.baseUrl },
        anthropic: { type: 'anthropic', api_key: anthropic.apiKey, base_url: anthropic.url },
        feed: {
          type: 'sse',
          url: sse.url,
          text_path: '/choices/0/delta/content',
          finish_reason_path: '/choices/0/finish_reason',
        },
        relay: {
          type: 'websocket',
          url: webSocket.url,
          text_path: '/text',
          finish_reason_path: '/finish_reason',
          done_path: '/done',
        },
      },
      models: {
        compatible: { target: { provider: 'compatible', model: 'gpt-4o-mini' } },
        claude: { target: { provider: 'anthropic', model: 'claude-test-1' } },
        feed: { target: { provider: 'feed', model: 'feed-1' } },
        relay: { target: { provider: 'relay', model: 'relay-1' } },
      },
    });
    client = await connectTestClient(sluice.wsUrl);
  });
  after(async () => {
    await client.close();
    await sluice.close();
    await Promise.all([openAi.close(), anthropic.close(), sse.close(), webSocket.close()]);
  });

  it("sends an OpenAI-compatible upstream the client's trace id from chat metadata, under a new span id", async () => {
    await chat(client, 'o1', 'compatible', { traceparent: clientTraceparent });
    assertContinuesClientTrace(openAi.chatRequests().at(-1)?.headers.traceparent);
  });

  it("sends the client's trace id from an HTTP traceparent header upstream, under a new span id", async () => {
    const response = await fetch(`${sluice.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: clientTraceparent },
      body: JSON.stringify({ model: 'compatible', messages, stream: false }),
    });
    assert.equal(response.status, 200);
    await response.json();
    assertContinuesClientTrace(openAi.chatRequests().at(-1)?.headers.traceparent);
  });

  it("sends the anthropic upstream the client's trace id", async () => {
    await chat(client, 'a1', 'claude', { traceparent: clientTraceparent });
    assertContinuesClientTrace(anthropic.requests.at(-1)?.headers.traceparent);
  });

  it("sends a generic SSE upstream the client's trace id", async () => {
    await chat(client, 's1', 'feed', { traceparent: clientTraceparent });
    assertContinuesClientTrace(sse.requests.at(-1)?.headers.traceparent);
  });

  it("sends a WebSocket upstream the client's trace id on the opening handshake", async () => {
    await chat(client, 'w1', 'relay', { traceparent: clientTraceparent });
    assertContinuesClientTrace(webSocket.connections.at(-1)?.headers.traceparent);
  });

  it('gives each request its own span id within the same client trace', async () => {
    await chat(client, 'o2', 'compatible', { traceparent: clientTraceparent });
    await chat(client, 'o3', 'compatible', { traceparent: clientTraceparent });
    const [first, second] = openAi
      .chatRequests()
      .slice(-2)
      .map((request) => parseTraceparent(request.headers.traceparent));
    assert.equal(first?.traceId, second?.traceId);
    assert.notEqual(first?.parentId, second?.parentId);
  });

  for (const [name, metadata] of [
    ['an invalid traceparent', { traceparent: `00-${'0'.repeat(32)}-${clientSpanId}-01` }],
    ['a traceparent that is not a string', { traceparent: 7 }],
    ['no traceparent', undefined],
  ] as const) {
    it(`serves a request with ${name} and sends no traceparent upstream, as no exporter is configured`, async () => {
      const before = openAi.chatRequests().length;
      await chat(client, `none-${before}`, 'compatible', metadata);
      const request = openAi.chatRequests().at(-1);
      assert.equal(openAi.chatRequests().length, before + 1);
      assert.equal(request?.headers.traceparent, undefined);
    });
  }
});
