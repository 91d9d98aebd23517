import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryEventLog } from '../../../src/resume/memory-event-log.ts';
import { testEventLogContract } from './event-log-contract.ts';

testEventLogContract(async (bounds) => {
  const log = createMemoryEventLog(bounds);
  return { writer: log, reader: log, close: () => log.close() };
});

describe('memory event log bounds', () => {
  it('forgets the oldest ended logs first once ended logs pass their byte bound, never a running one', async () => {
    const log = createMemoryEventLog({ retentionMs: 60_000, maxEvents: 100, maxEndedBytes: 250 });
    const frame = 'x'.repeat(100);
    await log.open('running', 'ada');
    for (let seq = 0; seq < 5; seq++) await log.append('running', { seq, frame });
    for (const id of ['old', 'middle', 'new']) {
      await log.open(id, 'ada');
      await log.append(id, { seq: 0, frame });
      await log.end(id);
    }
    assert.equal(await log.owner('old'), undefined);
    assert.equal(await log.owner('middle'), 'ada');
    assert.equal(await log.owner('new'), 'ada');
    assert.equal(await log.owner('running'), 'ada');
    await log.close();
  });
});
