import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeAnthropicServer, textReply } from '../fakes/fake-anthropic-server.ts';
import { startFakeOpenAiServer } from '../fakes/fake-openai-server.ts';
import { startFakeSseServer } from '../fakes/fake-sse-server.ts';
import { startFakeWebSocketUpstream } from '../fakes/fake-websocket-upstream.ts';
import { startTestSluice, type TestSluice } from '../helpers/start-test-sluice.ts';
import { connectTestClient, type ServerEvent } from '../helpers/ws-test-client.ts';

/** The same three words every fake sends, one awkward character among them. */
const words = ['Grüße', ' from', ' upstream 👋'];
const expectedText = words.join('');

/** Every provider kind behind a real Sluice, each pointed at its wire-accurate fake. */
describe('every provider kind, end to end through Sluice over WebSocket', () => {
  let sluice: TestSluice;
  const fakes: Array<{ close(): Promise<void> }> = [];
  const received: Record<string, () => Record<string, unknown> | undefined> = {};

  before(async () => {
    const openai = await startFakeOpenAiServer({
      script: {
        deltas: words.map((content) => ({ content })),
        usage: { promptTokens: 9, completionTokens: 3 },
        wire: { splitMidCharacter: true, keepAliveComments: true },
      },
    });
    const anthropic = await startFakeAnthropicServer();
    anthropic.reply({
      kind: 'stream',
      events: textReply(words, { inputTokens: 9, outputTokens: 3 }),
      write: { crlf: true },
    });
    const sse = await startFakeSseServer({
      events: [
        ...words.map((text) => ({ data: JSON.stringify({ token: text }) })),
        { data: JSON.stringify({ usage: { in: 9, out: 3 } }) },
        { data: '[DONE]' },
      ],
      write: { splitMidCharacter: true },
    });
    const websocket = await startFakeWebSocketUpstream({
      steps: [
        ...words.map((text) => ({ message: { text } })),
        { message: { done: true, usage: { input: 9, output: 3 } } },
      ],
    });
    fakes.push(openai, anthropic, sse, websocket);
    received.openai = () => openai.chatRequests().at(-1)?.json as Record<string, unknown>;
    received.anthropic = () => anthropic.requests.at(-1)?.json as Record<string, unknown>;
    received.sse = () => sse.requests.at(-1)?.json as Record<string, unknown>;
    received.websocket = () => JSON.parse(websocket.connections.at(-1)?.received[0] ?? '{}');

    sluice = await startTestSluice({
      providers: {
        openai: { type: 'openai', api_key: 'sk-test-openai', base_url: openai.baseUrl },
        anthropic: { type: 'anthropic', api_key: anthropic.apiKey, base_url: anthropic.url },
        feed: {
          type: 'sse',
          url: `${sse.url}/stream`,
          text_path: '/token',
          input_tokens_path: '/usage/in',
          output_tokens_path: '/usage/out',
        },
        relay: {
          type: 'websocket',
          url: websocket.url,
          text_path: '/text',
          done_path: '/done',
          input_tokens_path: '/usage/input',
          output_tokens_path: '/usage/output',
        },
      },
      models: {
        fast: { target: { provider: 'openai', model: 'gpt-4o-mini' } },
        smart: { target: { provider: 'anthropic', model: 'claude-sonnet-4-6' } },
        feed: { target: { provider: 'feed', model: 'feed-model' } },
        relay: { target: { provider: 'relay', model: 'relay-model' } },
      },
    });
  });
  after(async () => {
    await sluice.close();
    await Promise.all(fakes.map((fake) => fake.close()));
  });

  for (const [model, provider, upstreamModel] of [
    ['fast', 'openai', 'gpt-4o-mini'],
    ['smart', 'anthropic', 'claude-sonnet-4-6'],
    ['feed', 'feed', 'feed-model'],
    ['relay', 'relay', 'relay-model'],
  ] as const) {
    it(`relays the ${provider} provider as one normalized event stream`, async () => {
      const client = await connectTestClient(sluice.wsUrl);
      client.send({
        type: 'chat',
        id: model,
        model,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Say hello' },
        ],
        max_tokens: 64,
      });
      const events = await client.collect(model);
      const text = events
        .filter((event) => event.type === 'delta')
        .map((event) => event.text)
        .join('');
      assert.deepEqual(events[0], {
        type: 'start',
        id: model,
        model: upstreamModel,
        provider,
        cached: false,
      });
      assert.equal(text, expectedText);
      const done = events.at(-1) as ServerEvent;
      assert.equal(done.type, 'done');
      assert.equal(done.finish_reason, 'stop');
      assert.deepEqual(done.usage, { input_tokens: 9, output_tokens: 3 });
      const upstreamBody =
        received[provider === 'feed' ? 'sse' : provider === 'relay' ? 'websocket' : provider]!();
      assert.equal(upstreamBody?.model, upstreamModel);
      await client.close();
    });
  }
});
