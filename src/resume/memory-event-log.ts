import { type EventLog, eventLogGap, eventLogNotFound } from './event-log.ts';

/** Bounds of the in-memory event log. */
export interface MemoryEventLogOptions {
  /** How long an ended log can still be read. */
  retentionMs: number;
  /** The most events kept per request; older ones are dropped first. */
  maxEvents: number;
  /**
   * The most heap bytes (estimated: `heapBytesOf`) that ended logs may hold together; past it the
   * oldest ended logs are forgotten early. Logs of running requests are never dropped for it.
   * Unbounded by default.
   */
  maxEndedBytes?: number;
}

/** A character that a V8 one-byte (Latin-1) string cannot hold: its string then takes two bytes a character. */
const twoByteCharacter = /[\u0100-\uffff]/;

/**
 * Bytes a kept frame costs besides its characters, on 64-bit V8: a 16-byte string header, up to 7
 * bytes of padding to 8 bytes, and its 8-byte slot in the log's array (measured: 28 on average).
 */
const frameOverheadBytes = 28;

/**
 * Roughly what keeping a frame costs the heap (a 62-character delta frame holds ~90 bytes), so that
 * short frames cannot take half again the bound, as counting characters let them. A frame of Latin-1
 * characters only is counted as a one-byte string, as V8 builds one (`JSON.stringify` does), any
 * other as two-byte; the check is one scan of the frame (~15 ns for a delta).
 */
function heapBytesOf(frame: string): number {
  return frameOverheadBytes + (twoByteCharacter.test(frame) ? 2 * frame.length : frame.length);
}

interface RequestLog {
  owner: string;
  /** The last `maxEvents` frames, oldest first; the first has seq `firstSeq`, the rest follow on. */
  frames: string[];
  firstSeq: number;
  /** Estimated heap bytes of the frames held, for the bound on ended logs. */
  bytes: number;
  ended: boolean;
  /** Readers waiting for the next event or the end. */
  waiting: Set<() => void>;
  expiry?: NodeJS.Timeout;
}

/**
 * An `EventLog` in this process's memory: enough for a single instance, where a client reconnects to
 * the same process. An open log lives until its writer ends it; an ended one `retentionMs` longer,
 * or less when ended logs together pass `maxEndedBytes`. Frames are kept as the very strings that
 * were sent, so logging a frame copies nothing.
 */
export function createMemoryEventLog(options: MemoryEventLogOptions): EventLog {
  const logs = new Map<string, RequestLog>();
  /** Ended logs, oldest end first (a Map keeps insertion order), for the byte bound. */
  const endedLogs = new Map<RequestLog, string>();
  const maxEndedBytes = options.maxEndedBytes ?? Number.POSITIVE_INFINITY;
  let endedBytes = 0;

  const wake = (log: RequestLog) => {
    for (const resume of log.waiting) resume();
    log.waiting.clear();
  };
  const openLog = (requestId: string) => {
    const log = logs.get(requestId);
    if (log === undefined || log.ended) throw eventLogNotFound(requestId);
    return log;
  };
  /** Removes a log from the index; its readers already reading finish with what it holds. */
  const forget = (requestId: string, log: RequestLog) => {
    if (logs.get(requestId) === log) logs.delete(requestId);
    clearTimeout(log.expiry);
    if (endedLogs.delete(log)) endedBytes -= log.bytes;
  };
  const start = (requestId: string, owner: string) => {
    const previous = logs.get(requestId);
    if (previous !== undefined) {
      // Readers of the replaced log stop at its end instead of waiting for events that never come.
      previous.ended = true;
      forget(requestId, previous);
      wake(previous);
    }
    logs.set(requestId, { owner, frames: [], firstSeq: 0, bytes: 0, ended: false, waiting: new Set() });
  };

  return {
    async open(requestId, owner) {
      start(requestId, owner);
    },
    async claim(requestId, owner) {
      if (logs.has(requestId)) return false;
      start(requestId, owner);
      return true;
    },
    async append(requestId, event) {
      const log = openLog(requestId);
      if (log.frames.length === 0) log.firstSeq = event.seq;
      log.frames.push(event.frame);
      log.bytes += heapBytesOf(event.frame);
      if (log.frames.length > options.maxEvents) {
        log.bytes -= heapBytesOf(log.frames.shift()!);
        log.firstSeq += 1;
      }
      wake(log);
    },
    async touch(requestId) {
      // An open log never expires in memory: only whether it is open is checked.
      openLog(requestId);
    },
    async end(requestId, endOptions = {}) {
      const log = openLog(requestId);
      log.ended = true;
      wake(log);
      if (endOptions.forget) {
        forget(requestId, log);
        return;
      }
      log.expiry = setTimeout(() => forget(requestId, log), options.retentionMs);
      log.expiry.unref();
      endedLogs.set(log, requestId);
      endedBytes += log.bytes;
      for (const [oldest, oldestId] of endedLogs) {
        if (endedBytes <= maxEndedBytes) break;
        forget(oldestId, oldest);
      }
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
          if (log.frames.length > 0 && log.firstSeq > lastSeq + 1) throw eventLogGap(requestId, lastSeq);
          // Seqs have no holes, so the next event's place follows from the oldest one kept.
          const frame = log.frames[lastSeq + 1 - log.firstSeq];
          if (frame !== undefined) {
            lastSeq += 1;
            yield { seq: lastSeq, frame };
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
      for (const [requestId, log] of logs) {
        log.ended = true;
        forget(requestId, log);
        wake(log);
      }
    },
  };
}
