import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import {
  ask,
  assertChunkFraming,
  authWithKey,
  readChunks,
  scriptFor,
  sdkClient,
  sluiceApiKey,
  streamedPieces,
  usageFigures,
  weatherTools,
} from './http-door-test-kit.ts';

/** The upstream's own name for the model; Sluice's clients ask for the route `chat`. */
const upstreamModel = 'gpt-4o-mini';

describe('HTTP door: the official OpenAI SDK sees what the upstream itself would send', () => {
  let upstream: FakeOpenAiServer;
  let sluice: TestSluice;
  let direct: OpenAI;
  let viaSluice: OpenAI;
  before(async () => {
    upstream = await startFakeOpenAiServer({ script: (request) => scriptFor(request.json) });
    sluice = await startTestSluice({
      providers: { local: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { chat: { target: { provider: 'local', model: upstreamModel } } },
      auth: authWithKey(),
    });
    direct = sdkClient(upstream.baseUrl);
    viaSluice = sdkClient(`${sluice.url}/v1`, sluiceApiKey);
  });
  after(async () => {
    await sluice.close();
    await upstream.close();
  });

  /** The same streaming call, to the upstream directly and through Sluice. */
  async function streamBoth(
    reply: Parameters<typeof ask>[0],
    extra: Partial<OpenAI.Chat.ChatCompletionCreateParamsStreaming> = {},
  ) {
    const body = { messages: ask(reply), stream: true as const, ...extra };
    const expected = await readChunks(
      await direct.chat.completions.create({ ...body, model: upstreamModel }),
    );
    const actual = await readChunks(await viaSluice.chat.completions.create({ ...body, model: 'chat' }));
    assertChunkFraming(actual, 'chat');
    assertChunkFraming(expected, upstreamModel);
    return { expected, actual };
  }

  /** The same non-streaming call, to the upstream directly and through Sluice. */
  async function completeBoth(
    reply: Parameters<typeof ask>[0],
    extra: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming> = {},
  ) {
    const body = { messages: ask(reply), ...extra };
    const expected = await direct.chat.completions.create({ ...body, model: upstreamModel });
    const actual = await viaSluice.chat.completions.create({ ...body, model: 'chat' });
    assert.match(actual.id, /^chatcmpl-\w+$/);
    assert.equal(actual.object, 'chat.completion');
    assert.equal(actual.model, 'chat', 'the model the client asked for');
    assert.ok(Number.isInteger(actual.created));
    assert.equal(typeof actual._request_id, 'string', 'x-request-id is exposed as _request_id');
    assert.equal(actual.choices.length, 1);
    assert.deepEqual(actual.choices[0]?.message, expected.choices[0]?.message);
    assert.equal(actual.choices[0]?.finish_reason, expected.choices[0]?.finish_reason);
    assert.equal(actual.choices[0]?.index, 0);
    assert.equal(actual.choices[0]?.logprobs, null);
    assert.deepEqual(usageFigures(actual.usage), usageFigures(expected.usage));
    return { expected, actual };
  }

  it('streams the same text deltas and finish reason, and no usage unless asked for', async () => {
    const { expected, actual } = await streamBoth('text');
    assert.deepEqual(streamedPieces(actual), streamedPieces(expected));
    assert.deepEqual(streamedPieces(actual), [
      { content: 'Hel' },
      { content: 'lo, ' },
      { content: 'wörld!' },
      { finish_reason: 'stop' },
    ]);
    assert.ok(
      actual.every((chunk) => !('usage' in chunk)),
      'no usage field without include_usage',
    );
  });

  it('with stream_options.include_usage, sends usage null on every chunk, then the usage chunk', async () => {
    const { expected, actual } = await streamBoth('text', { stream_options: { include_usage: true } });
    assert.deepEqual(streamedPieces(actual), streamedPieces(expected));
    const last = actual.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.deepEqual(usageFigures(last.usage), usageFigures(expected.at(-1)?.usage));
    assert.deepEqual(usageFigures(last.usage), { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
    assert.ok(actual.slice(0, -1).every((chunk) => chunk.usage === null));
  });

  it('answers a non-streaming call with the same message, finish reason and usage', async () => {
    const { actual } = await completeBoth('text');
    assert.equal(actual.choices[0]?.message.content, 'Hello, wörld!');
  });

  it('streams tool-call fragments as the upstream does, and the SDK assembles the same calls', async () => {
    const { expected, actual } = await streamBoth('tool', { tools: weatherTools });
    assert.deepEqual(streamedPieces(actual), streamedPieces(expected));
    assert.equal(streamedPieces(actual).at(-1)?.finish_reason, 'tool_calls');

    const assemble = async (client: OpenAI, model: string) =>
      client.chat.completions
        .stream({ model, messages: ask('tool'), tools: weatherTools })
        .finalChatCompletion();
    const assembled = await assemble(viaSluice, 'chat');
    const assembledDirect = await assemble(direct, upstreamModel);
    assert.deepEqual(
      assembled.choices[0]?.message.tool_calls,
      assembledDirect.choices[0]?.message.tool_calls,
    );
    assert.deepEqual(
      assembled.choices[0]?.message.tool_calls?.map((call) => call.type === 'function' && call.function),
      [
        { name: 'get_weather', arguments: '{"city":"Paris"}' },
        { name: 'get_time', arguments: '{}' },
      ],
    );
  });

  it('answers a non-streaming tool call with content null and the assembled calls', async () => {
    const { actual } = await completeBoth('tool', { tools: weatherTools });
    assert.equal(actual.choices[0]?.message.content, null);
    assert.equal(actual.choices[0]?.message.tool_calls?.length, 2);
    assert.equal(actual.choices[0]?.finish_reason, 'tool_calls');
  });

  it('keeps text that comes before a tool call, streamed and not', async () => {
    const { expected, actual } = await streamBoth('text then tool', { tools: weatherTools });
    assert.deepEqual(streamedPieces(actual), streamedPieces(expected));
    const { actual: completion } = await completeBoth('text then tool', { tools: weatherTools });
    assert.equal(completion.choices[0]?.message.content, 'Let me check.');
  });

  it('streams reasoning as reasoning_content deltas, and puts it on the message when not streaming', async () => {
    const { expected, actual } = await streamBoth('reasoning', { stream_options: { include_usage: true } });
    assert.deepEqual(streamedPieces(actual), streamedPieces(expected));
    assert.deepEqual(streamedPieces(actual).slice(0, 2), [
      { reasoning_content: 'The user ' },
      { reasoning_content: 'greets me.' },
    ]);
    assert.deepEqual(usageFigures(actual.at(-1)?.usage), usageFigures(expected.at(-1)?.usage));
    const { actual: completion } = await completeBoth('reasoning');
    const message = completion.choices[0]?.message as { reasoning_content?: string };
    assert.equal(message.reasoning_content, 'The user greets me.');
  });

  it('passes a length finish through, streamed and not', async () => {
    const { expected, actual } = await streamBoth('long');
    assert.deepEqual(streamedPieces(actual), streamedPieces(expected));
    const { actual: completion } = await completeBoth('long');
    assert.equal(completion.choices[0]?.finish_reason, 'length');
  });

  it('sends the upstream the request the SDK made, under the upstream model name', async () => {
    await viaSluice.chat.completions.create({
      model: 'chat',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'te' },
            { type: 'text', text: 'xt' },
          ],
        },
      ],
      max_completion_tokens: 50,
      temperature: 0.5,
      top_p: 0.9,
      stop: ['\n\n'],
      tools: weatherTools,
      tool_choice: 'auto',
      n: 1,
      user: 'end-user-7',
      metadata: { team: 'search' },
      seed: 42,
    });
    const sent = upstream.chatRequests().at(-1)?.json as Record<string, unknown>;
    assert.equal(sent.model, upstreamModel);
    assert.deepEqual(sent.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'text' },
    ]);
    assert.equal(sent.max_tokens, 50);
    assert.equal(sent.temperature, 0.5);
    assert.equal(sent.top_p, 0.9);
    assert.deepEqual(sent.stop, ['\n\n']);
    assert.deepEqual(sent.tools, weatherTools);
  });

  it('reads null fields as absent, as OpenAI does', async () => {
    const completion = await viaSluice.chat.completions.create({
      model: 'chat',
      messages: ask('text'),
      temperature: null,
      max_tokens: null,
      stop: null,
      stream: null,
    } as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming);
    assert.equal(completion.choices[0]?.message.content, 'Hello, wörld!');
  });

  it('runs the request through the pipeline: one request end line, one request id up and down', async () => {
    const completion = await viaSluice.chat.completions.create({ model: 'chat', messages: ask('text') });
    const line = sluice
      .logLines()
      .find((entry) => entry.event === 'request_end' && entry.client_request_id === completion.id);
    assert.equal(line?.outcome, 'stop');
    assert.equal(line?.model, 'chat');
    assert.equal(line?.upstream_model, upstreamModel);
    assert.equal(line?.request_id, completion._request_id);
    assert.equal(upstream.chatRequests().at(-1)?.headers['x-request-id'], completion._request_id);
  });
});
