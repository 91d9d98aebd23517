import assert from 'node:assert/strict';
import { it } from 'node:test';
import { startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { startTestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient, type TestClient } from '../../helpers/ws-test-client.ts';

/** Reads a request's delta frames until their text adds up to `text`; returns how many it took. */
async function deltasUntil(client: TestClient, id: string, text: string): Promise<number> {
  let received = '';
  let frames = 0;
  while (received.length < text.length) {
    const event = await client.next((candidate) => candidate.id === id && candidate.type === 'delta');
    received += event.text as string;
    frames += 1;
  }
  assert.equal(received, text);
  return frames;
}

it('replays to a request joining a live call the text so far in a few deltas, not one per token', async () => {
  const words = Array.from({ length: 200 }, (_, index) => ({ content: ` w${index}` }));
  const expected = words.map((word) => word.content).join('');
  const upstream = await startFakeOpenAiServer({ script: { deltas: words, ending: { type: 'stall' } } });
  const sluice = await startTestSluice({
    providers: { local: { type: 'openai-compatible', base_url: upstream.baseUrl } },
    models: { shared: { target: { provider: 'local', model: 'm' }, cache: 'off' } },
  });
  try {
    const [first, second] = await Promise.all([
      connectTestClient(sluice.wsUrl),
      connectTestClient(sluice.wsUrl),
    ]);
    const question = [{ role: 'user', content: 'A long answer, please' }];
    first!.send({ type: 'chat', id: 'a', model: 'shared', messages: question });
    assert.equal(
      await deltasUntil(first!, 'a', expected),
      200,
      'the live client gets every token as it came',
    );

    second!.send({ type: 'chat', id: 'b', model: 'shared', messages: question });
    const frames = await deltasUntil(second!, 'b', expected);
    assert.ok(frames < 40, `the joiner got the reply in ${frames} deltas`);
    assert.equal(upstream.chatRequests().length, 1);

    for (const [client, id] of [
      [first!, 'a'],
      [second!, 'b'],
    ] as const) {
      client.send({ type: 'cancel', id });
      assert.equal((await client.collect(id)).at(-1)?.finish_reason, 'cancelled');
    }
    await Promise.all([first!.close(), second!.close()]);
  } finally {
    await sluice.close();
    await upstream.close();
  }
});
