import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { hashApiKey } from '../../../src/auth/hash-api-key.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { sdkClient } from './http-door-test-kit.ts';

const fullKey = 'sk-sluice-models-full-key-0001';
const demoOnlyKey = 'sk-sluice-models-demo-key-0002';

describe('HTTP door: GET /v1/models and credentials', () => {
  let sluice: TestSluice;
  before(async () => {
    sluice = await startTestSluice({
      providers: { other: { type: 'demo', token_delay_ms: 0 } },
      models: { other: { target: { provider: 'other', model: 'demo' } } },
      auth: {
        api_keys: [
          { hash: hashApiKey(fullKey), user: 'full', plan: 'default' },
          { hash: hashApiKey(demoOnlyKey), user: 'narrow', plan: 'demo-only' },
        ],
      },
      plans: { default: {}, 'demo-only': { models: ['demo'] } },
    });
  });
  after(() => sluice.close());

  const client = (key: string) => sdkClient(`${sluice.url}/v1`, key);

  it('lists the models a user may ask for, in OpenAI list format', async () => {
    const response = await fetch(`${sluice.url}/v1/models`, {
      headers: { authorization: `Bearer ${fullKey}` },
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { object: string; data: Array<Record<string, unknown>> };
    assert.equal(body.object, 'list');
    assert.deepEqual(body.data.map((model) => model.id).sort(), ['demo', 'other']);
    for (const model of body.data) {
      assert.deepEqual(Object.keys(model).sort(), ['created', 'id', 'object', 'owned_by']);
      assert.equal(model.object, 'model');
      assert.equal(model.owned_by, 'sluice');
      assert.ok(Number.isInteger(model.created));
    }
  });

  it("lists only the plan's models, and the SDK pages through them", async () => {
    const ids: string[] = [];
    for await (const model of client(demoOnlyKey).models.list()) ids.push(model.id);
    assert.deepEqual(ids, ['demo']);
  });

  it('refuses a model outside the plan with 403 forbidden', async () => {
    await assert.rejects(
      client(demoOnlyKey).chat.completions.create({
        model: 'other',
        messages: [{ role: 'user', content: 'Hi' }],
      }),
      (error) => error instanceof OpenAI.PermissionDeniedError && error.code === 'forbidden',
    );
  });

  it('refuses a bad or missing credential with 401 and www-authenticate, on every route', async () => {
    for (const call of [
      () =>
        client('sk-wrong').chat.completions.create({
          model: 'demo',
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      () => client('sk-wrong').models.list(),
    ]) {
      await assert.rejects(call(), (error) => {
        assert.ok(error instanceof OpenAI.AuthenticationError);
        assert.equal(error.code, 'unauthorized');
        assert.equal(error.headers?.get('www-authenticate'), 'Bearer');
        return true;
      });
    }
    const anonymous = await fetch(`${sluice.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'unauthorized');
  });

  it('serves the same request once the key is right', async () => {
    const completion = await client(fullKey).chat.completions.create({
      model: 'demo',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    assert.equal(completion.choices[0]?.finish_reason, 'stop');
    assert.ok((completion.choices[0]?.message.content ?? '').length > 0);
  });
});

describe('HTTP door: anonymous access', () => {
  it('serves the SDK without a key when anonymous access is on and the SDK sends no Authorization', async () => {
    const sluice = await startTestSluice({ auth: { anonymous: { enabled: true } } });
    try {
      const client = sdkClient(`${sluice.url}/v1`, 'unused', { defaultHeaders: { Authorization: null } });
      const completion = await client.chat.completions.create({
        model: 'demo',
        messages: [{ role: 'user', content: 'Hi' }],
      });
      assert.equal(completion.choices[0]?.finish_reason, 'stop');
      const line = sluice.logLines().find((entry) => entry.event === 'request_end');
      assert.equal(line?.user, 'anonymous:anonymous');
    } finally {
      await sluice.close();
    }
  });
});
