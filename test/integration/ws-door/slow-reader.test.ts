import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type LongSseServer, startLongSseServer } from '../../fakes/fake-sse-server.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { until } from '../../helpers/until.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

const eventCount = 60_000;
const wordBytes = 1024;
const highWater = 65_536;

describe('WebSocket door: a client that never reads', () => {
  let upstream: LongSseServer;
  let sluice: TestSluice;
  before(async () => {
    const padding = 'x'.repeat(wordBytes);
    upstream = await startLongSseServer({
      eventCount,
      eventData: (index) =>
        JSON.stringify({ choices: [{ index: 0, delta: { content: `${index}:${padding}|` } }] }),
    });
    sluice = await startTestSluice({
      server: { send_high_water_bytes: highWater },
      providers: { long: { type: 'sse', url: upstream.url, text_path: '/choices/0/delta/content' } },
      models: { long: { target: { provider: 'long', model: 'long-1' } } },
    });
  });
  after(async () => {
    await sluice.close();
    await upstream.close();
  });

  it('stops reading the upstream past the high-water mark, then delivers everything in order', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    await client.next((event) => event.type === 'ready');
    client.socket.pause();
    client.send({
      type: 'chat',
      id: 'flood',
      model: 'long',
      messages: [{ role: 'user', content: 'everything' }],
    });

    const [serverSide] = sluice.connections;
    assert.ok(serverSide);
    // Sluice's own queue for this client reaches the mark: from then on the relay waits for it to drain.
    await until(() => serverSide.bufferedAmount >= highWater);
    const writtenWhileStalled = await upstream.writerBlocked();
    const totalBytes = eventCount * wordBytes;
    // The mark, plus at most one merged frame (a quarter of the mark) and the frame that crossed it.
    assert.ok(
      serverSide.bufferedAmount <= highWater + highWater / 4 + 2 * wordBytes,
      `Sluice queued ${serverSide.bufferedAmount} bytes for a client that reads nothing`,
    );
    assert.ok(
      writtenWhileStalled * wordBytes < totalBytes / 4,
      `the upstream wrote ${writtenWhileStalled} of ${eventCount} events while the client read nothing`,
    );

    client.socket.resume();
    const events = await client.collect('flood');
    const deltas = events.filter((event) => event.type === 'delta');
    const text = deltas.map((event) => event.text).join('');
    const indexes = text
      .split('|')
      .filter(Boolean)
      .map((piece) => Number(piece.split(':')[0]));
    assert.equal(indexes.length, eventCount);
    assert.ok(
      deltas.every((event, position) => event.seq === position + 1),
      'merged frames keep seq contiguous',
    );
    assert.ok(
      indexes.every((value, position) => value === position),
      'every event, in order',
    );
    assert.equal(events.at(-1)?.type, 'done');
    assert.equal(await upstream.streamEnded(), 'completed');
    await client.close();
  });
});
