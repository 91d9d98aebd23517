import assert from 'node:assert/strict';
import test from 'node:test';
import { adapterLoadedFrom } from '../../../../providers/shared/adapter-loaded-from.ts';
import type { ProviderCallOptions } from '../../../../src/spec/provider-adapter.ts';
import type { StreamPart } from '../../../../src/spec/stream-part.ts';

const request = { model: 'm', messages: [{ role: 'user' as const, content: 'Hi' }] };
const options = { signal: new AbortController().signal, requestId: 'r1' } as ProviderCallOptions;

test('loading starts when the adapter is created, once, and every call goes to the loaded adapter', async () => {
  let loads = 0;
  const parts: AsyncIterable<StreamPart> = (async function* () {
    yield { type: 'text-delta' as const, text: 'Hello' };
  })();
  const adapter = adapterLoadedFrom(async () => {
    loads++;
    return { stream: async () => parts };
  });
  assert.equal(loads, 1);
  assert.equal(await adapter.stream(request, options), parts);
  assert.equal(await adapter.stream(request, options), parts);
  assert.equal(loads, 1);
});

test('a failure to load fails each call, and is not an unhandled rejection before one', async () => {
  const adapter = adapterLoadedFrom(async () => {
    throw new Error('Cannot find package');
  });
  // A tick for an unhandled rejection to surface (node --test fails the file on one).
  await new Promise((resolve) => setImmediate(resolve));
  await assert.rejects(adapter.stream(request, options), /Cannot find package/);
  await assert.rejects(adapter.stream(request, options), /Cannot find package/);
});
