import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient, type TestClient } from '../../helpers/ws-test-client.ts';

describe('prompt templates in a chat', () => {
  let upstream: FakeOpenAiServer;
  let sluice: TestSluice;
  let client: TestClient;
  before(async () => {
    upstream = await startFakeOpenAiServer({ script: { deltas: [{ content: 'ok' }] } });
    sluice = await startTestSluice({
      prompts: { directory: 'test/fixtures/prompts/library' },
      providers: { local: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { 'fixture-model': { target: { provider: 'local', model: 'fixture-upstream' } } },
    });
    client = await connectTestClient(sluice.wsUrl);
  });
  after(async () => {
    await client.close();
    await sluice.close();
    await upstream.close();
  });

  it("sends the template's messages, then the request's own, with the template's model and parameters", async () => {
    client.send({
      type: 'chat',
      id: 't1',
      prompt: { name: 'greet', version: 1, vars: { person: 'Ada {{mood}}' } },
      messages: [{ role: 'user', content: 'And add a joke.' }],
      temperature: 0.1,
    });
    const events = await client.collect('t1');
    assert.equal(events.at(-1)?.type, 'done');
    const body = upstream.chatRequests().at(-1)?.json as Record<string, unknown>;
    assert.equal(body.model, 'fixture-upstream');
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'You are a cheerful assistant. Templates look like {{person}}.' },
      { role: 'user', content: 'Say hello to Ada {{mood}}.' },
      { role: 'assistant', content: 'Hello, Ada {{mood}}!' },
      { role: 'user', content: 'And add a joke.' },
    ]);
    assert.equal(body.temperature, 0.1, "the request's own value wins");
    assert.equal(body.top_p, 0.9);
    assert.equal(body.max_tokens, 64);
    assert.deepEqual(body.stop, ['END']);
  });

  it('answers an unknown template with not_found and a missing variable with bad_request, each naming it', async () => {
    client.send({ type: 'chat', id: 'u', model: 'fixture-model', prompt: { name: 'nope' } });
    assert.deepEqual((await client.collect('u')).at(-1), {
      type: 'error',
      id: 'u',
      code: 'not_found',
      message: 'unknown prompt "nope"',
    });
    client.send({ type: 'chat', id: 'm', prompt: { name: 'greet', version: 1 } });
    const missing = (await client.collect('m')).at(-1)!;
    assert.equal(missing.code, 'bad_request');
    assert.equal(missing.message, 'prompt "greet" needs variable "person"');
  });

  it('still requires messages and a model from a request without a template', async () => {
    client.send({ type: 'chat', id: 'bare' });
    const error = await client.next((event) => event.id === 'bare');
    assert.equal(error.code, 'bad_request');
    assert.equal(error.message, 'model: required; messages: required');
  });
});
