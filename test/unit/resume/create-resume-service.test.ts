import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { createResumeService } from '../../../src/resume/create-resume-service.ts';
import { type EventLog, eventLogNotFound } from '../../../src/resume/event-log.ts';
import { createMemoryEventLog } from '../../../src/resume/memory-event-log.ts';
import { createLocalRequestSignals } from '../../../src/resume/request-signals.ts';

/** A resume service over `events`, with the messages of the warnings it logged. */
function serviceOver(events: EventLog) {
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line).msg) });
  const service = createResumeService({ events, signals: createLocalRequestSignals(), graceMs: 60_000, log });
  return { service, warnings };
}

const memoryLog = () => createMemoryEventLog({ retentionMs: 60_000, maxEvents: 100 });
const frames = ['{"type":"start"}', '{"type":"delta","seq":1}', '{"type":"done","seq":2}'];

describe('resume service recording', () => {
  it('records into a log that takes frames at once without its promise-returning append', async () => {
    const events: EventLog = {
      ...memoryLog(),
      append: () => assert.fail('a log with appendSync is appended to at once'),
    };
    const { service, warnings } = serviceOver(events);
    const tracked = service.track('ada', 'r1', new AbortController());
    for (const frame of frames) tracked.record(frame);
    tracked.end();
    const replayed: string[] = [];
    for await (const frame of service.resume('ada', 'r1', 0, new AbortController().signal))
      replayed.push(frame);
    assert.deepEqual(replayed, frames);
    assert.deepEqual(warnings, []);
    await service.close();
  });

  const failingLogs = {
    'throws from appendSync': (tried: () => void): EventLog => ({
      ...memoryLog(),
      append: () => assert.fail('a log with appendSync is appended to at once'),
      appendSync(requestId) {
        tried();
        throw eventLogNotFound(requestId);
      },
    }),
    'rejects from append': (tried: () => void): EventLog => {
      const { appendSync: _, ...events } = memoryLog();
      return {
        ...events,
        async append(requestId) {
          tried();
          throw eventLogNotFound(requestId);
        },
      };
    },
  };
  for (const [how, failingLog] of Object.entries(failingLogs)) {
    it(`goes on without resuming when the log ${how}: one warning, no more writes once it knows`, async () => {
      let tries = 0;
      const { service, warnings } = serviceOver(failingLog(() => tries++));
      const controller = new AbortController();
      const tracked = service.track('ada', 'r1', controller);
      tracked.record(frames[0]!);
      await new Promise((resolve) => setImmediate(resolve));
      for (const frame of frames.slice(1)) tracked.record(frame);
      tracked.end();
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(tries, 1);
      assert.deepEqual(warnings, ['this request cannot be resumed']);
      assert.equal(controller.signal.aborted, false);
      await service.close();
    });
  }
});
