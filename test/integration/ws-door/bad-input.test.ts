import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient, type TestClient } from '../../helpers/ws-test-client.ts';

const hello = [{ role: 'user', content: 'Hi there' }];

describe('WebSocket door: bad input', () => {
  let sluice: TestSluice;
  before(async () => {
    sluice = await startTestSluice({ server: { max_frame_bytes: 4096, max_bad_frames: 5 } });
  });
  after(() => sluice.close());

  /** Sends a bad frame while a good request runs, and checks both: the error, then the request still ends well. */
  async function expectErrorWhileOtherRequestContinues(client: TestClient, frame: unknown) {
    client.send({ type: 'chat', id: 'good', model: 'demo', messages: hello });
    client.send(frame);
    const error = await client.next((event) => event.type === 'error');
    const good = await client.collect('good');
    assert.equal(good.at(-1)?.type, 'done');
    return error;
  }

  it('answers invalid JSON with bad_request and keeps the connection', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    const error = await expectErrorWhileOtherRequestContinues(client, '{"type": "chat", ');
    assert.deepEqual(error, { type: 'error', code: 'bad_request', message: 'frame is not valid JSON' });
    await client.close();
  });

  it('answers an unknown frame type with bad_request naming it', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    const error = await expectErrorWhileOtherRequestContinues(client, { type: 'shout', id: 'u1' });
    assert.deepEqual(error, {
      type: 'error',
      id: 'u1',
      code: 'bad_request',
      message: 'unknown frame type "shout"',
    });
    await client.close();
  });

  it('answers missing fields with bad_request naming each one', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    const error = await expectErrorWhileOtherRequestContinues(client, { type: 'chat', id: 'm1' });
    assert.equal(error.code, 'bad_request');
    assert.equal(error.id, 'm1');
    assert.match(String(error.message), /model: required/);
    assert.match(String(error.message), /messages: required/);
    await client.close();
  });

  it('answers a malformed field, an empty or over-long id with bad_request', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    client.send({ type: 'chat', id: 'm2', model: 'demo', messages: [{ role: 'robot', content: 'x' }] });
    const badRole = await client.next((event) => event.type === 'error');
    assert.equal(badRole.id, 'm2');
    assert.match(String(badRole.message), /messages\.0\.role/);
    client.send({ type: 'chat', id: '', model: 'demo', messages: hello });
    client.send({ type: 'chat', id: 'x'.repeat(65), model: 'demo', messages: hello });
    for (let index = 0; index < 2; index++) {
      const error = await client.next((event) => event.type === 'error');
      assert.equal(error.code, 'bad_request');
      assert.equal(error.id, undefined);
      assert.match(String(error.message), /^id: /);
    }
    await client.close();
  });

  it('answers a duplicate open id with duplicate_id and leaves the first request running', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    const long = [{ role: 'user', content: 'tell me something long' }];
    client.send({ type: 'chat', id: 'dup', model: 'demo', messages: long });
    client.send({ type: 'chat', id: 'dup', model: 'demo', messages: hello });
    const error = await client.next((event) => event.type === 'error');
    assert.deepEqual(error, {
      type: 'error',
      id: 'dup',
      code: 'duplicate_id',
      message: 'request "dup" is already open',
    });
    const events = await client.collect('dup');
    assert.equal(events.at(-1)?.type, 'done');
    assert.equal(events.filter((event) => event.type === 'start').length, 1);
    // Once it has ended, the id may be used again.
    client.send({ type: 'chat', id: 'dup', model: 'demo', messages: hello });
    await client.next((event) => event.id === 'dup' && event.type === 'done' && event !== events.at(-1));
    await client.close();
  });

  it('refuses binary frames with bad_request', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    const error = await expectErrorWhileOtherRequestContinues(client, Buffer.from([1, 2, 3]));
    assert.equal(error.code, 'bad_request');
    assert.match(String(error.message), /binary/);
    await client.close();
  });

  it('closes the connection with 1009 when a frame exceeds the size limit', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    client.send({
      type: 'chat',
      id: 'big',
      model: 'demo',
      messages: [{ role: 'user', content: 'x'.repeat(5000) }],
    });
    assert.equal(await client.closed, 1009);
  });

  it('closes the connection with 1008 after too many bad frames', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    for (let index = 0; index < 6; index++) client.send('nonsense');
    assert.equal(await client.closed, 1008);
    assert.equal(client.events.filter((event) => event.code === 'bad_request').length, 6);
  });

  it('answers a cancel or resume for an unknown id with not_found', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    client.send({ type: 'cancel', id: 'ghost' });
    assert.equal((await client.next((event) => event.type === 'error')).code, 'not_found');
    client.send({ type: 'resume', id: 'ghost', after_seq: 0 });
    assert.equal((await client.next((event) => event.type === 'error')).code, 'not_found');
    await client.close();
  });
});
