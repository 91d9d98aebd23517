import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { callOptions, collectParts, createOpenAiAdapter, userRequest } from './openai-test-kit.ts';

test('the parts of many events that arrive in one network read all come out, in order', async (t) => {
  const deltas = Array.from({ length: 200 }, (_, index) => ({ content: `${index} ` }));
  const server = await startFakeOpenAiServer({ script: { deltas } });
  t.after(() => server.close());

  const parts = await collectParts(
    await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions()),
  );

  assert.deepEqual(
    parts.slice(0, -1).map((part) => (part.type === 'text-delta' ? part.text : part.type)),
    deltas.map((delta) => delta.content),
  );
  assert.equal(parts.at(-1)?.type, 'finish');
});
