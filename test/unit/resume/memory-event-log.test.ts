import { createMemoryEventLog } from '../../../src/resume/memory-event-log.ts';
import { testEventLogContract } from './event-log-contract.ts';

testEventLogContract(async (bounds) => {
  const log = createMemoryEventLog(bounds);
  return { writer: log, reader: log, close: () => log.close() };
});
