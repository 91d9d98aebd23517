import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { EventLog, LoggedEvent } from '../../../src/resume/event-log.ts';
import { until } from '../../helpers/until.ts';

/** Two handles on one shared log (as on two instances), and what to clean up after a test. */
export interface EventLogPair {
  writer: EventLog;
  reader: EventLog;
  close(): Promise<void>;
}

/** Makes a fresh pair of logs with the given bounds, or undefined to skip. */
export type EventLogFactory = (options: { retentionMs: number; maxEvents: number }) => Promise<EventLogPair>;

const eventOf = (seq: number): LoggedEvent => ({ seq, frame: `{"type":"delta","id":"a1","seq":${seq}}` });

async function collect(events: AsyncIterable<LoggedEvent>): Promise<number[]> {
  const seqs: number[] = [];
  for await (const event of events) seqs.push(event.seq);
  return seqs;
}

async function appendAll(log: EventLog, requestId: string, from: number, to: number): Promise<void> {
  for (let seq = from; seq <= to; seq++) await log.append(requestId, eventOf(seq));
}

/** The behaviour every `EventLog` shares, run against one implementation. */
export function testEventLogContract(makeLogs: EventLogFactory, skip: string | false = false): void {
  const test = (name: string, body: (logs: EventLogPair) => Promise<void>, bounds = {}) =>
    it(name, { skip }, async () => {
      const logs = await makeLogs({ retentionMs: 60_000, maxEvents: 1_000, ...bounds });
      try {
        await body(logs);
      } finally {
        await logs.close();
      }
    });

  test('replays the events after the given seq in order, then follows live ones until the end', async ({
    writer,
    reader,
  }) => {
    await writer.open('a1', 'ada');
    await appendAll(writer, 'a1', 0, 3);
    const events = reader.read('a1', 1)[Symbol.asyncIterator]();
    assert.deepEqual((await events.next()).value, eventOf(2));
    assert.deepEqual((await events.next()).value, eventOf(3));
    const live = events.next();
    await writer.append('a1', eventOf(4));
    assert.deepEqual((await live).value, eventOf(4));
    const last = events.next();
    await writer.end('a1');
    assert.equal((await last).done, true);
  });

  test('gives a reader that starts mid-stream every later event exactly once, in order', async ({
    writer,
    reader,
  }) => {
    await writer.open('a1', 'ada');
    await appendAll(writer, 'a1', 0, 19);
    const writing = appendAll(writer, 'a1', 20, 299).then(() => writer.end('a1'));
    const reading = collect(reader.read('a1', 9));
    await writing;
    assert.deepEqual(
      await reading,
      Array.from({ length: 290 }, (_, index) => index + 10),
    );
  });

  test('replays every event of an ended request, then finishes', async ({ writer, reader }) => {
    await writer.open('a1', 'ada');
    await appendAll(writer, 'a1', 0, 4);
    await writer.end('a1');
    assert.deepEqual(await collect(reader.read('a1', -1)), [0, 1, 2, 3, 4]);
    assert.deepEqual(await collect(reader.read('a1', 3)), [4]);
    assert.deepEqual(await collect(reader.read('a1', 4)), []);
  });

  test('hands back every frame as it was appended', async ({ writer, reader }) => {
    await writer.open('a1', 'ada');
    const start = { seq: 0, frame: '{"type":"start","id":"a1","model":"m","provider":"p","cached":false}' };
    await writer.append('a1', start);
    await writer.end('a1');
    const events: LoggedEvent[] = [];
    for await (const event of reader.read('a1', -1)) events.push(event);
    assert.deepEqual(events, [start]);
  });

  test('rejects an unknown request with not_found, for readers and writers alike', async ({
    writer,
    reader,
  }) => {
    await assert.rejects(collect(reader.read('nope', 0)), { code: 'not_found' });
    await assert.rejects(writer.append('nope', eventOf(0)), { code: 'not_found' });
    await assert.rejects(writer.end('nope'), { code: 'not_found' });
    assert.equal(await reader.owner('nope'), undefined);
  });

  test(
    'forgets an ended request once its retention time has passed',
    async ({ writer, reader }) => {
      await writer.open('a1', 'ada');
      await appendAll(writer, 'a1', 0, 2);
      await writer.end('a1');
      await until(async () => (await reader.owner('a1')) === undefined);
      await assert.rejects(collect(reader.read('a1', 0)), { code: 'not_found' });
    },
    { retentionMs: 50 },
  );

  test('tells which user owns a request, on any instance', async ({ writer, reader }) => {
    await writer.open('a1', 'ada');
    await writer.open('b1', 'bob');
    assert.equal(await reader.owner('a1'), 'ada');
    assert.equal(await reader.owner('b1'), 'bob');
  });

  test(
    'keeps the newest events only: a reader who needs a dropped one gets not_found, never a gap',
    async ({ writer, reader }) => {
      await writer.open('a1', 'ada');
      await appendAll(writer, 'a1', 0, 299);
      await writer.end('a1');
      await assert.rejects(collect(reader.read('a1', 0)), { code: 'not_found', message: /no longer kept/ });
      assert.deepEqual(
        await collect(reader.read('a1', 289)),
        [290, 291, 292, 293, 294, 295, 296, 297, 298, 299],
      );
    },
    { maxEvents: 10 },
  );

  test('stops a reader that waits for live events when its signal aborts', async ({ writer, reader }) => {
    await writer.open('a1', 'ada');
    await writer.append('a1', eventOf(0));
    const controller = new AbortController();
    const events = reader.read('a1', -1, { signal: controller.signal })[Symbol.asyncIterator]();
    assert.deepEqual((await events.next()).value, eventOf(0));
    const waiting = events.next();
    controller.abort();
    assert.equal((await waiting).done, true);
  });

  test('starts a fresh log when an id is opened again', async ({ writer, reader }) => {
    await writer.open('a1', 'ada');
    await appendAll(writer, 'a1', 0, 2);
    await writer.end('a1');
    await writer.open('a1', 'ada');
    await writer.append('a1', eventOf(0));
    await writer.end('a1');
    assert.deepEqual(await collect(reader.read('a1', -1)), [0]);
  });

  test('lets only the first of racing writers claim an id, on any instance', async ({ writer, reader }) => {
    const claims = await Promise.all([
      writer.claim('k1', 'a'),
      reader.claim('k1', 'b'),
      writer.claim('k1', 'c'),
    ]);
    assert.deepEqual(
      claims.filter((won) => won),
      [true],
    );
    assert.equal(await reader.claim('k1', 'd'), false);
  });

  test('frees a claimed id for a new claim once its log ends with forget, while readers finish', async ({
    writer,
    reader,
  }) => {
    assert.equal(await writer.claim('k1', 'a'), true);
    await appendAll(writer, 'k1', 0, 2);
    // The reader must have found the log before it is forgotten: its first event proves it did.
    const events = reader.read('k1', -1)[Symbol.asyncIterator]();
    assert.deepEqual((await events.next()).value, eventOf(0));
    await writer.end('k1', { forget: true });
    assert.deepEqual(await collect({ [Symbol.asyncIterator]: () => events }), [1, 2]);
    await assert.rejects(collect(reader.read('k1', -1)), { code: 'not_found' });
    assert.equal(await reader.claim('k1', 'b'), true);
    await reader.append('k1', eventOf(0));
    await reader.end('k1', { forget: true });
  });

  test('keeps an ended log from a new claim until it is forgotten', async ({ writer, reader }) => {
    await writer.open('a1', 'ada');
    await writer.end('a1');
    assert.equal(await reader.claim('a1', 'bob'), false);
  });

  test(
    'keeps an open log that is touched alive past its retention time',
    async ({ writer, reader }) => {
      await writer.open('a1', 'ada');
      await writer.append('a1', eventOf(0));
      for (let round = 0; round < 8; round++) {
        await writer.touch('a1');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(await reader.owner('a1'), 'ada');
      await writer.end('a1');
      await assert.rejects(writer.touch('never-opened'), { code: 'not_found' });
    },
    { retentionMs: 60 },
  );
}
