import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { GatewayError } from '../errors/gateway-error.ts';
import type { EventLog } from './event-log.ts';
import type { RequestSignals } from './request-signals.ts';

export interface ResumeServiceOptions {
  events: EventLog;
  signals: RequestSignals;
  /** How long a request whose client left runs on, waiting for a resume, before it is aborted. */
  graceMs: number;
  log: Logger;
}

/** The abort reason of a request whose client left and did not come back in time: a cancel. */
export const clientGone = 'client disconnected';

/** One running request's side of resuming: its frames are recorded, its client may leave and return. */
export interface TrackedRequest {
  /** Records the request's next frame (the very text sent to its client), numbered from 0. */
  record(frame: string): void;
  /** The client that made the request went away: abort it unless someone resumes within the grace period. */
  clientLeft(): void;
  /** The request ended (its terminal frame was recorded): the log is kept for its retention time. */
  end(): void;
}

/**
 * Resumable streams. Every frame of every request is recorded in an `EventLog` under a key made of
 * the user and the client's request id, so only the same user can find it. A client that reconnects
 * (to this instance or, with Redis, any other) reads the frames after the last one it saw, then the
 * live rest. A request whose client left keeps running for `graceMs`, and on as long as a resumed
 * client reads it; then it is aborted like a cancel (and billed for what it produced).
 */
export function createResumeService(options: ResumeServiceOptions) {
  const { events, signals, graceMs, log } = options;
  /** Requests running on this instance, by key, so that a cancel from any instance reaches them. */
  const running = new Map<string, AbortController>();
  signals.onCancel((key) => running.get(key)?.abort('cancelled by the client'));

  const keyOf = (user: string, id: string) =>
    createHash('sha256').update(user).update('\u0000').update(id).digest('base64url');

  return {
    /** Starts recording a new request; its controller is aborted by a remote cancel or after the grace period. */
    track(user: string, id: string, controller: AbortController): TrackedRequest {
      const key = keyOf(user, id);
      let seq = 0;
      let broken = false;
      let graceTimer: NodeJS.Timeout | undefined;
      const fail = (error: unknown) => {
        // A request whose frames could not all be kept goes on; it just cannot be resumed.
        if (!broken) log.warn({ err: error, client_request_id: id }, 'this request cannot be resumed');
        broken = true;
      };
      running.set(key, controller);
      // Not awaited: appends queue behind the open in order, and the first frame is not delayed.
      events.open(key, user).catch(fail);
      // Unreferenced: a request waiting for its client must not keep a stopping process alive.
      const armGraceTimer = () => {
        graceTimer = setTimeout(abortUnlessRead, graceMs);
        graceTimer.unref();
      };
      const abortUnlessRead = () => {
        graceTimer = undefined;
        signals.isAttached(key).then(
          (attached) => {
            if (!attached) controller.abort(clientGone);
            else if (!controller.signal.aborted) armGraceTimer();
          },
          () => controller.abort(clientGone),
        );
      };
      return {
        record(frame) {
          if (!broken) events.append(key, { seq: seq++, frame }).catch(fail);
        },
        clientLeft() {
          if (controller.signal.aborted) return;
          if (graceTimer === undefined) armGraceTimer();
        },
        end() {
          clearTimeout(graceTimer);
          if (running.get(key) === controller) running.delete(key);
          if (!broken) events.end(key).catch(fail);
        },
      };
    },

    /**
     * The frames of the user's request `id` after `afterSeq` (the `seq` of the last frame the client
     * got; 0 also replays `start`), then the live rest until its terminal frame. Rejects with
     * `not_found` when the user has no such request (or it expired), `unavailable` when Redis is down.
     */
    async *resume(user: string, id: string, afterSeq: number, signal: AbortSignal): AsyncGenerator<string> {
      const key = keyOf(user, id);
      if ((await events.owner(key)) !== user) {
        throw new GatewayError('not_found', `no resumable request "${id}"`);
      }
      const detach = signals.attach(key);
      try {
        // Frame 0 is `start`, which has no wire seq: a client that saw no delta gets it again.
        for await (const event of events.read(key, afterSeq === 0 ? -1 : afterSeq, { signal })) {
          yield event.frame;
        }
      } finally {
        detach();
      }
    },

    /** Cancels the user's request `id`, wherever it runs. */
    async cancel(user: string, id: string): Promise<void> {
      const key = keyOf(user, id);
      const local = running.get(key);
      if (local) local.abort('cancelled by the client');
      else await signals.cancel(key);
    },

    /** Closes the event log (the signals belong to whoever made them). */
    async close(): Promise<void> {
      await events.close();
    },
  };
}

export type ResumeService = ReturnType<typeof createResumeService>;
