import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StreamPart } from '../../../src/spec/stream-part.ts';
import { startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { callOptions, createOpenAiAdapter, userRequest } from './openai-test-kit.ts';

test('aborting the signal mid-stream closes the upstream connection and ends the stream quietly', async (t) => {
  const server = await startFakeOpenAiServer({
    script: { deltas: [{ content: 'Hel' }, { content: 'lo' }], ending: { type: 'stall' } },
  });
  t.after(() => server.close());
  const controller = new AbortController();
  const stream = await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions(controller));

  const parts: StreamPart[] = [];
  for await (const part of stream) {
    parts.push(part);
    if (parts.length === 2) {
      assert.equal(server.chatConnectionIsOpen(0), true);
      const closed = server.nextConnectionClose();
      controller.abort();
      await closed;
    }
  }

  assert.deepEqual(parts, [
    { type: 'text-delta', text: 'Hel' },
    { type: 'text-delta', text: 'lo' },
  ]);
  assert.equal(server.chatConnectionIsOpen(0), false);
});

test('leaving the loop early closes the upstream connection', async (t) => {
  const server = await startFakeOpenAiServer({
    script: { deltas: [{ content: 'Hel' }, { content: 'lo' }], ending: { type: 'stall' } },
  });
  t.after(() => server.close());
  const stream = await createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions());
  const closed = server.nextConnectionClose();

  for await (const part of stream) {
    assert.deepEqual(part, { type: 'text-delta', text: 'Hel' });
    break;
  }

  await closed;
  assert.equal(server.chatConnectionIsOpen(0), false);
});

test('aborting while waiting for the response headers closes the connection and rejects', async (t) => {
  const server = await startFakeOpenAiServer({ script: { stallBeforeHeaders: true } });
  t.after(() => server.close());
  const controller = new AbortController();
  const received = server.nextChatRequest();
  const pending = createOpenAiAdapter(server.baseUrl).stream(userRequest(), callOptions(controller));
  await received;
  assert.equal(server.chatConnectionIsOpen(0), true);
  const closed = server.nextConnectionClose();

  controller.abort();

  await assert.rejects(pending);
  await closed;
  assert.equal(server.chatConnectionIsOpen(0), false);
});
