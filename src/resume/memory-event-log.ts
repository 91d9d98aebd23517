import { type EventLog, eventLogGap, eventLogNotFound, type LoggedEvent } from './event-log.ts';

/** Bounds of the in-memory event log. */
export interface MemoryEventLogOptions {
  /** How long an ended log can still be read. */
  retentionMs: number;
  /** The most events kept per request; older ones are dropped first. */
  maxEvents: number;
}

interface RequestLog {
  owner: string;
  /** The last `maxEvents` events, oldest first, with consecutive seqs. */
  events: LoggedEvent[];
  ended: boolean;
  /** Readers waiting for the next event or the end. */
  waiting: Set<() => void>;
  expiry?: NodeJS.Timeout;
}

/**
 * An `EventLog` in this process's memory: enough for a single instance, where a client reconnects to
 * the same process. An open log lives until its writer ends it; an ended one `retentionMs` longer.
 */
export function createMemoryEventLog(options: MemoryEventLogOptions): EventLog {
  const logs = new Map<string, RequestLog>();

  const wake = (log: RequestLog) => {
    for (const resume of log.waiting) resume();
    log.waiting.clear();
  };
  const openLog = (requestId: string) => {
    const log = logs.get(requestId);
    if (log === undefined || log.ended) throw eventLogNotFound(requestId);
    return log;
  };

  return {
    async open(requestId, owner) {
      const previous = logs.get(requestId);
      if (previous !== undefined) {
        // Readers of the replaced log stop at its end instead of waiting for events that never come.
        previous.ended = true;
        clearTimeout(previous.expiry);
        wake(previous);
      }
      logs.set(requestId, { owner, events: [], ended: false, waiting: new Set() });
    },
    async append(requestId, event) {
      const log = openLog(requestId);
      log.events.push({ seq: event.seq, frame: event.frame });
      if (log.events.length > options.maxEvents) log.events.shift();
      wake(log);
    },
    async end(requestId) {
      const log = openLog(requestId);
      log.ended = true;
      log.expiry = setTimeout(() => {
        if (logs.get(requestId) === log) logs.delete(requestId);
      }, options.retentionMs);
      log.expiry.unref();
      wake(log);
    },
    async *read(requestId, afterSeq, readOptions = {}) {
      const { signal } = readOptions;
      const log = logs.get(requestId);
      if (log === undefined) throw eventLogNotFound(requestId);
      let wakeReader: (() => void) | undefined;
      const onAbort = () => wakeReader?.();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        let lastSeq = Math.max(afterSeq, -1);
        while (!signal?.aborted) {
          const oldest = log.events[0];
          if (oldest !== undefined && oldest.seq > lastSeq + 1) throw eventLogGap(requestId, lastSeq);
          // Seqs have no holes, so the next event's place follows from the oldest one kept.
          const next = oldest === undefined ? undefined : log.events[lastSeq + 1 - oldest.seq];
          if (next !== undefined) {
            yield { seq: next.seq, frame: next.frame };
            lastSeq = next.seq;
          } else if (log.ended) {
            return;
          } else {
            await new Promise<void>((resolve) => {
              wakeReader = resolve;
              log.waiting.add(resolve);
            });
          }
        }
      } finally {
        signal?.removeEventListener('abort', onAbort);
        if (wakeReader !== undefined) log.waiting.delete(wakeReader);
      }
    },
    async owner(requestId) {
      return logs.get(requestId)?.owner;
    },
    async close() {
      for (const log of logs.values()) {
        clearTimeout(log.expiry);
        log.ended = true;
        wake(log);
      }
      logs.clear();
    },
  };
}
