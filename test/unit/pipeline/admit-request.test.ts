import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admitRequest } from '../../../src/pipeline/admit-request.ts';
import { identity, openPipeline } from './pipeline-fixture.ts';

describe('admitRequest: the admit stage', () => {
  let pipeline: Awaited<ReturnType<typeof openPipeline>>;
  before(async () => {
    pipeline = await openPipeline({
      prompts: { directory: 'test/fixtures/prompts/library' },
      hooks: [{ use: 'test/fixtures/hooks/rewrite-message.ts', options: { prefix: 'Serving' } }],
      plans: { default: { max_tokens: 50 } },
    });
  });
  after(() => pipeline.close());

  it('fills the template, runs the pre hooks, resolves the route and records what the quota granted', async () => {
    const record = pipeline.record({
      prompt: { name: 'greet', version: 1, vars: { person: 'Ada' } },
      messages: [],
      maxTokens: 100,
    });
    await admitRequest(record);
    const contents = record.effective.messages.map((message) => message.content);
    assert.equal(contents[0], 'Serving alice', 'the pre hook saw the filled template and added its note');
    assert.ok(
      contents.some((content) => String(content).includes('Say hello to Ada')),
      'the template was filled',
    );
    assert.equal(record.effective.temperature, 0, "the hook's change is in the request the provider sees");
    assert.equal(record.route?.name, 'demo');
    assert.equal(record.target?.provider, 'demo', 'a route of one target names its provider before the call');
    assert.equal(record.admission?.maxTokens, 50, "the plan's bound on the reply");
    assert.equal(record.admission?.warnings.length, 1, 'the clamp is reported');
  });

  it('refuses an expired credential with unauthorized before the quota is asked', async () => {
    const record = pipeline.record({}, new AbortController(), { ...identity, expiresAt: Date.now() - 1 });
    await assert.rejects(admitRequest(record), { code: 'unauthorized' });
    assert.equal(record.admission, undefined);
  });

  it('refuses an unknown model with not_found, naming no target', async () => {
    const record = pipeline.record({ model: 'no-such-model' });
    await assert.rejects(admitRequest(record), { code: 'not_found' });
    assert.equal(record.target, undefined);
    assert.equal(record.admission, undefined);
  });

  it("refuses every request with the server's reason once it is stopping", async () => {
    const stopping = await openPipeline();
    try {
      stopping.stopping.abort(new Error('the server is stopping'));
      await assert.rejects(admitRequest(stopping.record()), /the server is stopping/);
    } finally {
      await stopping.close();
    }
  });
});
