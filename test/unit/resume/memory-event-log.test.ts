import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventLog } from '../../../src/resume/event-log.ts';
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
    // Each ended log holds one frame of 100 one-byte characters: ~128 bytes of heap.
    const log = createMemoryEventLog({ retentionMs: 60_000, maxEvents: 100, maxEndedBytes: 300 });
    const frame = 'x'.repeat(100);
    await log.open('running', 'ada');
    for (let seq = 0; seq < 5; seq++) await log.append('running', { seq, frame });
    await endLogs(log, ['old', 'middle', 'new'], [frame]);
    assert.deepEqual(await kept(log, ['old', 'middle', 'new', 'running']), ['middle', 'new', 'running']);
    await log.close();
  });

  it('counts what each frame costs the heap beyond its characters, so many short frames fill the bound', async () => {
    // 500 frames of 10 characters: 5,000 characters but ~19,000 bytes of heap per log.
    const log = createMemoryEventLog({ retentionMs: 60_000, maxEvents: 1000, maxEndedBytes: 30_000 });
    await endLogs(
      log,
      ['old', 'new'],
      Array.from({ length: 500 }, () => 'x'.repeat(10)),
    );
    assert.deepEqual(await kept(log, ['old', 'new']), ['new']);
    await log.close();
  });

  it('counts two bytes a character for a frame with characters beyond Latin-1, one for Latin-1 only', async () => {
    const bounds = { retentionMs: 60_000, maxEvents: 100, maxEndedBytes: 400 };
    const latin1 = createMemoryEventLog(bounds);
    await endLogs(latin1, ['old', 'new'], ['é'.repeat(100)]);
    assert.deepEqual(await kept(latin1, ['old', 'new']), ['old', 'new']);
    await latin1.close();
    const wide = createMemoryEventLog(bounds);
    await endLogs(wide, ['old', 'new'], ['你'.repeat(100)]);
    assert.deepEqual(await kept(wide, ['old', 'new']), ['new']);
    await wide.close();
  });

  it('stops counting the frames it drops past the most events per log', async () => {
    // Only the last 10 of 1,000 frames stay: ~1,300 bytes, not ~128,000.
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
