import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type FakeOpenAiServer, startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { until } from '../../helpers/until.ts';
import { connectTestClient, type TestClient } from '../../helpers/ws-test-client.ts';

const highWater = 65_536;
/**
 * Past the mark Sluice stops reading, but it still answers the frames of the read it was in: at most
 * 64 KiB of frames, and an answer to a cancel is about twice the cancel.
 */
const heldBound = highWater + 256 * 1024;
const hello = [{ role: 'user', content: 'Hi there' }];
/** The longest id the protocol allows: the longest answer to a cancel. */
const ghostId = (index: number) => `ghost-${index}-`.padEnd(64, 'x');

/** The only connection Sluice has open. */
function serverSideOf(sluice: TestSluice) {
  assert.equal(sluice.connections.size, 1);
  const [serverSide] = sluice.connections;
  return serverSide!;
}

describe('WebSocket door: a client that provokes answers and reads none', () => {
  let sluice: TestSluice;
  before(async () => {
    // Every unknown cancel is answered here and none closes the connection: only the send bound holds.
    sluice = await startTestSluice({
      server: { send_high_water_bytes: highWater, max_bad_frames: 1_000_000 },
    });
  });
  after(() => sluice.close());

  it('stops reading its frames while their answers are over the high-water mark, and answers them all once it reads', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    await client.next((event) => event.type === 'ready');
    const serverSide = serverSideOf(sluice);
    client.socket.pause();
    const cancels = 100_000;
    for (let index = 0; index < cancels; index++) client.send({ type: 'cancel', id: ghostId(index) });

    let mostHeld = 0;
    // Until Sluice holds answers it cannot hand to the kernel and has stopped reading (or holds too much).
    await until(() => {
      mostHeld = Math.max(mostHeld, serverSide.bufferedAmount);
      return mostHeld > heldBound || (serverSide.isPaused && serverSide.bufferedAmount > 0);
    });
    assert.ok(mostHeld <= heldBound, `Sluice held ${mostHeld} bytes for a client that reads nothing`);
    assert.ok(client.socket.bufferedAmount > 0, 'the client still has cancels Sluice has not read');

    client.socket.resume();
    await until(() => client.events.filter((event) => event.type === 'error').length === cancels);
    assert.ok(client.events.every((event) => event.type === 'ready' || event.code === 'not_found'));
    assert.equal(client.socket.readyState, client.socket.OPEN);
    await client.close();
  });
});

describe('WebSocket door: a client that keeps provoking errors', () => {
  let upstream: FakeOpenAiServer;
  let sluice: TestSluice;
  before(async () => {
    // One word, then silence: a request stays open until it is cancelled.
    upstream = await startFakeOpenAiServer({
      script: { deltas: [{ content: 'one' }], ending: { type: 'stall' } },
    });
    sluice = await startTestSluice({
      server: { max_bad_frames: 5, max_requests_per_connection: 10 },
      providers: { local: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { stall: { target: { provider: 'local', model: 'stall-1' } } },
      resume: { enabled: false },
    });
  });
  after(async () => {
    await sluice.close();
    await upstream.close();
  });

  /** The error codes a client got, in order. */
  const errorCodes = (client: TestClient) =>
    client.events.filter((event) => event.type === 'error').map((event) => event.code);

  it('closes with 1008 after max_bad_frames cancels of unknown ids, even sent in a flood it does not read', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    await client.next((event) => event.type === 'ready');
    client.socket.pause();
    for (let index = 0; index < 100_000; index++) client.send({ type: 'cancel', id: ghostId(index) });
    client.socket.resume();
    assert.equal(await client.closed, 1008);
    assert.deepEqual(errorCodes(client), Array(6).fill('not_found'), 'nothing is answered after the close');
  });

  it('closes with 1008 after max_bad_frames chats for unknown models', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    for (let index = 0; index < 6; index++) {
      client.send({ type: 'chat', id: `m${index}`, model: `no-such-model-${index}`, messages: hello });
    }
    assert.equal(await client.closed, 1008);
    assert.deepEqual(errorCodes(client), Array(6).fill('not_found'));
  });

  it('counts duplicate ids and requests over the connection limit as bad frames', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    for (let index = 0; index < 10; index++) {
      client.send({ type: 'chat', id: `s${index}`, model: 'stall', messages: hello });
    }
    await client.next((event) => event.id === 's9' && event.type === 'delta');
    for (let index = 0; index < 3; index++) {
      client.send({ type: 'chat', id: 's0', model: 'stall', messages: hello });
      client.send({ type: 'chat', id: `over${index}`, model: 'stall', messages: hello });
    }
    assert.equal(await client.closed, 1008);
    assert.deepEqual(errorCodes(client), [
      'duplicate_id',
      'rate_limited',
      'duplicate_id',
      'rate_limited',
      'duplicate_id',
      'rate_limited',
    ]);
  });

  it('lets a reconnecting client resume as many lost requests as a connection may run before resumes count as bad', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    // Ten requests it had open, all gone: not its fault.
    for (let index = 0; index < 10; index++)
      client.send({ type: 'resume', id: `lost${index}`, after_seq: 3 });
    client.send({ type: 'chat', id: 'alive', model: 'demo', messages: hello });
    assert.equal((await client.collect('alive')).at(-1)?.type, 'done');
    assert.deepEqual(errorCodes(client), Array(10).fill('not_found'));
    // Past them, each counts.
    for (let index = 0; index < 6; index++) client.send({ type: 'resume', id: `more${index}`, after_seq: 3 });
    assert.equal(await client.closed, 1008);
    assert.deepEqual(errorCodes(client), Array(16).fill('not_found'));
  });

  it('never closes a client that cancels its own requests, also once they have ended', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    const closedEarly = client.closed.then((code) => assert.fail(`closed with ${code}`));
    // Each cancel races its request's end on the demo model: it cancels it or crosses its done.
    for (let batch = 0; batch < 4; batch++) {
      const ids = Array.from({ length: 5 }, (_, index) => `own${batch}-${index}`);
      for (const id of ids) {
        client.send({ type: 'chat', id, model: 'demo', messages: hello });
        client.send({ type: 'cancel', id });
      }
      await Promise.race([Promise.all(ids.map((id) => client.collect(id))), closedEarly]);
      // And cancels sent after the client saw the requests end.
      for (const id of ids) client.send({ type: 'cancel', id });
    }
    client.send({ type: 'chat', id: 'last', model: 'demo', messages: hello });
    const last = await Promise.race([client.collect('last'), closedEarly]);
    assert.equal(last.at(-1)?.type, 'done');
    assert.deepEqual(errorCodes(client), [], 'no cancel was answered with an error');
    await client.close();
  });
});
