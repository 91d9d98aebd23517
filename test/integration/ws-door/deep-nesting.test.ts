import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chatJsonWith, nestedSchema, threeThousandLevels } from '../../helpers/nested-json.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

const hello = [{ role: 'user', content: 'Hi there' }];

/** A chat frame's text with `nested` (raw JSON) spliced in as the value of `field`. */
function chatFrameWith(id: string, field: 'parameters' | 'tool_choice', nested: string): string {
  const head = `{"type":"chat","id":${JSON.stringify(id)},"model":"demo","messages":${JSON.stringify(hello)}`;
  return chatJsonWith(head, field, nested);
}

describe('WebSocket door: deeply nested JSON', () => {
  let sluice: TestSluice;
  before(async () => {
    sluice = await startTestSluice({ server: { max_bad_frames: 3 } });
  });
  after(() => sluice.close());

  for (const field of ['parameters', 'tool_choice'] as const) {
    it(`answers 3,000 levels in ${field} with bad_request for that id, and the connection keeps serving`, async () => {
      const client = await connectTestClient(sluice.wsUrl);
      client.send(chatFrameWith('deep', field, threeThousandLevels));
      const answer = (await client.collect('deep')).at(-1);
      assert.deepEqual(answer, {
        type: 'error',
        id: 'deep',
        code: 'bad_request',
        message: 'frame nests deeper than 64 levels',
      });
      client.send({ type: 'chat', id: 'after', model: 'demo', messages: hello });
      assert.equal((await client.collect('after')).at(-1)?.type, 'done');
      await client.close();
    });
  }

  it('accepts a tool whose JSON schema nests 12 objects deep', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    const tools = [{ type: 'function', function: { name: 'fill_form', parameters: nestedSchema(12) } }];
    client.send({ type: 'chat', id: 'schema', model: 'demo', messages: hello, tools });
    const events = await client.collect('schema');
    assert.equal(events.at(-1)?.type, 'done');
    await client.close();
  });

  it('counts a too-deep frame as a bad frame, closing with 1008 past the limit', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    for (let index = 0; index < 4; index++)
      client.send(chatFrameWith(`deep${index}`, 'parameters', threeThousandLevels));
    assert.equal(await client.closed, 1008);
    assert.deepEqual(
      client.events.filter((event) => event.type === 'error').map((event) => [event.id, event.code]),
      [0, 1, 2, 3].map((index) => [`deep${index}`, 'bad_request']),
    );
  });
});
