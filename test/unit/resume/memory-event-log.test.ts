import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EventLog, isEventLogNotFound, type LoggedEvent } from '../../../src/resume/event-log.ts';
import { createMemoryEventLog } from '../../../src/resume/memory-event-log.ts';
import { testEventLogContract } from './event-log-contract.ts';

testEventLogContract(async (bounds) => {
  const log = createMemoryEventLog(bounds);
  return { writer: log, reader: log, close: () => log.close() };
});

/** Opens, fills and ends one log per id, in order. */
async function endLogs(log: EventLog, ids: string[], frames: string[]): Promise<void> {
  for (const id of ids) {
    await log.open(id, 'ada');
    for (const [seq, frame] of frames.entries()) await log.append(id, { seq, frame });
    await log.end(id);
  }
}

/** Which of these logs can still be read. */
async function kept(log: EventLog, ids: string[]): Promise<string[]> {
  const owners = await Promise.all(ids.map((id) => log.owner(id)));
  return ids.filter((_, index) => owners[index] !== undefined);
}

describe('memory event log bounds', () => {
  it('forgets the oldest ended logs first once ended logs pass their byte bound, never a running one', async () => {
    // Each ended log holds one frame of 100 bytes and 2 offsets: 116 bytes.
    const log = createMemoryEventLog({ retentionMs: 60_000, maxEvents: 100, maxEndedBytes: 300 });
    const frame = 'x'.repeat(100);
    await log.open('running', 'ada');
    for (let seq = 0; seq < 5; seq++) await log.append('running', { seq, frame });
    await endLogs(log, ['old', 'middle', 'new'], [frame]);
    assert.deepEqual(await kept(log, ['old', 'middle', 'new', 'running']), ['middle', 'new', 'running']);
    await log.close();
  });

  it('counts the offset of each frame besides its bytes, so many short frames fill the bound', async () => {
    // 500 frames of 10 bytes: 5,000 bytes of frames but 9,008 held per log.
    const log = createMemoryEventLog({ retentionMs: 60_000, maxEvents: 1000, maxEndedBytes: 15_000 });
    await endLogs(
      log,
      ['old', 'new'],
      Array.from({ length: 500 }, () => 'x'.repeat(10)),
    );
    assert.deepEqual(await kept(log, ['old', 'new']), ['new']);
    await log.close();
  });

  it('counts the UTF-8 bytes of a frame, not its characters', async () => {
    // 100 characters and 2 offsets: 116 bytes held in ASCII, 316 in CJK (3 bytes a character).
    const bounds = { retentionMs: 60_000, maxEvents: 100, maxEndedBytes: 400 };
    const ascii = createMemoryEventLog(bounds);
    await endLogs(ascii, ['old', 'new'], ['x'.repeat(100)]);
    assert.deepEqual(await kept(ascii, ['old', 'new']), ['old', 'new']);
    await ascii.close();
    const wide = createMemoryEventLog(bounds);
    await endLogs(wide, ['old', 'new'], ['你'.repeat(100)]);
    assert.deepEqual(await kept(wide, ['old', 'new']), ['new']);
    await wide.close();
  });

  it('stops counting the frames it drops past the most events per log', async () => {
    // Only the last 10 of 1,000 frames stay: 1,088 bytes, not ~108,000.
    const log = createMemoryEventLog({ retentionMs: 60_000, maxEvents: 10, maxEndedBytes: 3000 });
    await endLogs(
      log,
      ['old', 'new'],
      Array.from({ length: 1000 }, () => 'x'.repeat(100)),
    );
    assert.deepEqual(await kept(log, ['old', 'new']), ['old', 'new']);
    await log.close();
  });
});

describe('memory event log frames', () => {
  it('hands back frames with multi-byte characters exactly as appended, across buffer growth', async () => {
    const log = createMemoryEventLog({ retentionMs: 60_000, maxEvents: 1000 });
    const frames = Array.from(
      { length: 200 },
      (_, seq) =>
        `{"type":"delta","seq":${seq},"text":"${'你好😀é'.repeat(seq % 7)}${seq % 5 === 0 ? '' : 'x'}"}`,
    );
    frames.push('', '😀'.repeat(3000));
    await endLogs(log, ['a1'], frames);
    const read: LoggedEvent[] = [];
    for await (const event of log.read('a1', -1)) read.push(event);
    assert.deepEqual(
      read,
      frames.map((frame, seq) => ({ seq, frame })),
    );
    await log.close();
  });

  it('keeps the last frames and their seqs while it drops the oldest past the most events', async () => {
    const log = createMemoryEventLog({ retentionMs: 60_000, maxEvents: 16 });
    const frameOf = (seq: number) => `${seq}:${'€'.repeat(seq % 9)}`;
    const eventsOf = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, index) => ({
        seq: from + index,
        frame: frameOf(from + index),
      }));
    const readUntil = async (events: AsyncIterable<LoggedEvent>, lastSeq: number) => {
      const read: LoggedEvent[] = [];
      for await (const event of events) {
        read.push(event);
        if (event.seq === lastSeq) break;
      }
      return read;
    };
    await log.open('a1', 'ada');
    for (let seq = 0; seq < 100; seq++) {
      await log.append('a1', { seq, frame: frameOf(seq) });
      // Every kept event, read before and after each compaction of the buffer.
      const oldest = Math.max(seq - 15, 0);
      assert.deepEqual(await readUntil(log.read('a1', oldest - 1), seq), eventsOf(oldest, seq));
    }
    await log.end('a1');
    assert.deepEqual(await readUntil(log.read('a1', 83), 99), eventsOf(84, 99));
    await assert.rejects(async () => {
      for await (const _ of log.read('a1', 82));
    }, isEventLogNotFound);
    await log.close();
  });
});
