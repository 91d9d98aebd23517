import assert from 'node:assert/strict';
import test from 'node:test';
import type { ProviderKind } from '../../../src/spec/provider-kind.ts';
import { watchPackageLoads } from '../watch-package-loads.ts';

// Watched before any provider module is imported: each test file runs in a process of its own.
const openAiSdk = watchPackageLoads('openai');
const anthropicSdk = watchPackageLoads('@anthropic-ai/sdk');
const tokenizer = watchPackageLoads('gpt-tokenizer');
const { providerKinds } = await import('../../../providers/index.ts');

const kind = (type: string) => providerKinds.find((candidate) => candidate.type === type) as ProviderKind;

test('the list of provider kinds and their config schemas load no SDK, nor the tokenizer', () => {
  const parsed = kind('openai-compatible').configSchema.parse({
    type: 'openai-compatible',
    base_url: 'http://127.0.0.1:1/v1',
  });
  assert.equal(parsed.timeout_ms, 600_000);
  assert.equal(openAiSdk.loaded(), false);
  assert.equal(anthropicSdk.loaded(), false);
  assert.equal(tokenizer.loaded(), false, 'the demo splits its reply into tokens only when asked for one');
});

test('creating a provider loads the SDK of its kind only, and its adapter streams through it', async () => {
  const openAi = kind('openai-compatible');
  const adapter = openAi.create(
    openAi.configSchema.parse({ type: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1' }),
    { name: 'local' },
  );
  // Nothing listens on port 1: the call fails, after the SDK was loaded to make it.
  await assert.rejects(
    adapter.stream(
      { model: 'm', messages: [{ role: 'user', content: 'Hi' }] },
      { signal: new AbortController().signal, log: undefined as never, requestId: 'r1' },
    ),
    { code: 'upstream_error' },
  );
  assert.equal(openAiSdk.loaded(), true);
  assert.equal(anthropicSdk.loaded(), false);
});
