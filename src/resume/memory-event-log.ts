import { type EventLog, eventLogGap, eventLogNotFound } from './event-log.ts';

/** Bounds of the in-memory event log. */
export interface MemoryEventLogOptions {
  /** How long an ended log can still be read. */
  retentionMs: number;
  /** The most events kept per request; older ones are dropped first. */
  maxEvents: number;
  /**
   * The most bytes that ended logs may hold together (`bytesHeld`); past it the oldest ended logs are
   * forgotten early. Logs of running requests are never dropped for it. Unbounded by default.
   */
  maxEndedBytes?: number;
}

/** The first buffer of a log: room for a dozen delta frames before it first doubles. */
const initialBufferBytes = 1024;

/** Bytes an offset takes in a log's array of offsets (a small integer, one 64-bit slot). */
const offsetBytes = 8;

/**
 * A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair, 2 units, is 4), so a frame of
 * `n` characters never takes more than `3 n` bytes.
 */
const maxUtf8BytesPerCharacter = 3;

interface RequestLog {
  owner: string;
  /**
   * The kept frames in UTF-8, back to back, outside the JS heap: frames are kept long enough to be
   * promoted to V8's old generation, so one string each drove its major GCs. Grown by doubling.
   */
  buffer: Buffer;
  /**
   * Where frames start in `buffer`, then where the last one ends: frame `i` is the bytes from
   * `offsets[i]` to `offsets[i + 1]`. Frames before `first` were dropped (`maxEvents`); their bytes
   * stay until the next compaction.
   */
  offsets: number[];
  /** The index of the oldest kept frame; it has seq `firstSeq`, the later ones follow on. */
  first: number;
  firstSeq: number;
  /** What an ended log holds (`bytesHeld`), for the bound on ended logs. */
  bytes: number;
  ended: boolean;
  /** Readers waiting for the next event or the end. */
  waiting: Set<() => void>;
  expiry?: NodeJS.Timeout;
}

/** How many frames a log keeps. */
const keptFrames = (log: RequestLog) => log.offsets.length - 1 - log.first;

/** The bytes the frames of the log use in its buffer, dropped ones included. */
const usedBytes = (log: RequestLog) => log.offsets[log.offsets.length - 1]!;

/** What a log holds: its buffer and its offsets. */
const bytesHeld = (log: RequestLog) => log.buffer.length + offsetBytes * log.offsets.length;

/** A buffer of its own, not a slice of Node's shared pool that would keep the whole pool alive. */
function copyToNewBuffer(log: RequestLog, size: number): void {
  const buffer = Buffer.allocUnsafeSlow(size);
  log.buffer.copy(buffer, 0, 0, usedBytes(log));
  log.buffer = buffer;
}

/** Moves the kept frames to the start of the buffer, forgetting the dropped ones. */
function compact(log: RequestLog): void {
  const { buffer, offsets, first } = log;
  const start = offsets[first]!;
  buffer.copy(buffer, 0, start, usedBytes(log));
  const length = offsets.length - first;
  for (let index = 0; index < length; index++) offsets[index] = offsets[index + first]! - start;
  offsets.length = length;
  log.first = 0;
}

/** Adds a frame at the end of the buffer, growing it (doubling) when the frame may not fit. */
function write(log: RequestLog, frame: string): void {
  const used = usedBytes(log);
  // The exact size is only counted (one scan of the frame) when the bound on it might not fit.
  if (used + maxUtf8BytesPerCharacter * frame.length > log.buffer.length) {
    const needed = used + Buffer.byteLength(frame);
    let size = log.buffer.length;
    while (size < needed) size *= 2;
    if (size > log.buffer.length) copyToNewBuffer(log, size);
  }
  log.offsets.push(used + log.buffer.write(frame, used));
}

/**
 * An `EventLog` in this process's memory: enough for a single instance, where a client reconnects to
 * the same process. An open log lives until its writer ends it; an ended one `retentionMs` longer,
 * or less when ended logs together pass `maxEndedBytes`. Frames are kept as UTF-8 bytes in one
 * buffer per request (not as strings on the JS heap) and decoded again for a reader.
 */
export function createMemoryEventLog(options: MemoryEventLogOptions): EventLog {
  const logs = new Map<string, RequestLog>();
  /** Ended logs, oldest end first (a Map keeps insertion order), for the byte bound. */
  const endedLogs = new Map<RequestLog, string>();
  const maxEndedBytes = options.maxEndedBytes ?? Number.POSITIVE_INFINITY;
  let endedBytes = 0;

  const wake = (log: RequestLog) => {
    // Usually no reader waits: then no Set iterator is made for the frame.
    if (log.waiting.size === 0) return;
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
    logs.set(requestId, {
      owner,
      buffer: Buffer.allocUnsafeSlow(initialBufferBytes),
      offsets: [0],
      first: 0,
      firstSeq: 0,
      bytes: 0,
      ended: false,
      waiting: new Set(),
    });
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
      if (keptFrames(log) === 0) log.firstSeq = event.seq;
      write(log, event.frame);
      if (keptFrames(log) > options.maxEvents) {
        log.first += 1;
        log.firstSeq += 1;
        // Once the dropped frames outnumber the kept ones: each frame is moved about once.
        if (log.first > keptFrames(log)) compact(log);
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
      // An ended log holds its kept frames only, in a buffer of their size.
      if (log.first > 0) compact(log);
      if (log.buffer.length > usedBytes(log)) copyToNewBuffer(log, usedBytes(log));
      log.bytes = bytesHeld(log);
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
          if (keptFrames(log) > 0 && log.firstSeq > lastSeq + 1) throw eventLogGap(requestId, lastSeq);
          // Seqs have no holes, so the next event's place follows from the oldest one kept.
          const index = log.first + lastSeq + 1 - log.firstSeq;
          if (index < log.offsets.length - 1) {
            const frame = log.buffer.toString('utf8', log.offsets[index], log.offsets[index + 1]);
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
