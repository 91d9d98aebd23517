import { GatewayError } from '../errors/gateway-error.ts';

/** Gives a held slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

/** How many streams one target serves at once, and how long and how many requests may wait. */
export interface FairQueueOptions {
  /** The target's name, for people reading the errors. */
  name: string;
  maxConcurrency: number;
  /** How many requests may wait at once (across all users); past it, `acquire` refuses at once. */
  maxQueueLength: number;
  maxWaitMs: number;
}

/** Concurrency slots of one target, handed out fairly across users. */
export interface FairQueue {
  /** Resolves with a release once the user holds a slot; rejects with `unavailable`, or the signal's reason. */
  acquire(user: string, signal: AbortSignal): Promise<ReleaseSlot>;
  inFlight(): number;
  waiting(): number;
}

interface Waiter {
  grant(release: ReleaseSlot): void;
}

/** What the queue knows of a user while they hold or wait for a slot, and forgets after. */
interface UserLine {
  running: number;
  /** When the user was last given a slot (a tick of the queue's own clock). */
  lastTurn: number;
  waiters: Waiter[];
}

/**
 * A bounded concurrency queue for one target. Each user waits in their own FIFO line, and a freed
 * slot goes to the waiting user who was given a slot least recently, so the lines take turns: one
 * user's burst cannot starve another user's single request, which waits at most one turn.
 */
export function createFairQueue(options: FairQueueOptions): FairQueue {
  const { name, maxConcurrency, maxQueueLength, maxWaitMs } = options;
  const lines = new Map<string, UserLine>();
  let running = 0;
  let waitingCount = 0;
  let clock = 0;

  const lineOf = (user: string): UserLine => {
    let line = lines.get(user);
    if (!line) {
      // A user who holds nothing is forgotten, so on return they count as served longest ago.
      line = { running: 0, lastTurn: -1, waiters: [] };
      lines.set(user, line);
    }
    return line;
  };

  const forgetIfIdle = (user: string, line: UserLine) => {
    if (line.running === 0 && line.waiters.length === 0) lines.delete(user);
  };

  const takeSlot = (user: string, line: UserLine): ReleaseSlot => {
    running += 1;
    line.running += 1;
    clock += 1;
    line.lastTurn = clock;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      running -= 1;
      line.running -= 1;
      forgetIfIdle(user, line);
      serveNext();
    };
  };

  const serveNext = () => {
    if (running >= maxConcurrency || waitingCount === 0) return;
    let next: [string, UserLine] | undefined;
    for (const entry of lines) {
      if (entry[1].waiters.length > 0 && (!next || entry[1].lastTurn < next[1].lastTurn)) next = entry;
    }
    if (!next) return;
    const [user, line] = next;
    const waiter = line.waiters.shift()!;
    waitingCount -= 1;
    waiter.grant(takeSlot(user, line));
  };

  const busy = (message: string) =>
    new GatewayError('unavailable', `target "${name}" is busy: ${message}`, {
      retryable: true,
      retryAfterMs: maxWaitMs,
    });

  return {
    acquire(user, signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      const line = lineOf(user);
      if (running < maxConcurrency) return Promise.resolve(takeSlot(user, line));
      if (waitingCount >= maxQueueLength) {
        forgetIfIdle(user, line);
        return Promise.reject(busy(`${maxQueueLength} requests are already waiting`));
      }
      return new Promise<ReleaseSlot>((resolve, reject) => {
        const leave = (reason: unknown) => {
          const index = line.waiters.indexOf(waiter);
          line.waiters.splice(index, 1);
          waitingCount -= 1;
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          forgetIfIdle(user, line);
          reject(reason);
        };
        const onAbort = () => leave(signal.reason);
        const timer = setTimeout(() => leave(busy(`no slot freed within ${maxWaitMs} ms`)), maxWaitMs);
        const waiter: Waiter = {
          grant(release) {
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            resolve(release);
          },
        };
        signal.addEventListener('abort', onAbort, { once: true });
        line.waiters.push(waiter);
        waitingCount += 1;
      });
    },
    inFlight: () => running,
    waiting: () => waitingCount,
  };
}
