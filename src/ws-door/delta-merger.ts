import type { OutputPart } from '../spec/stream-part.ts';
import { createDeltaEncoder } from '../wire/encode-ws-event.ts';
import type { ConnectionSender } from './connection-sender.ts';

/**
 * Sends one request's output parts over a connection that may be congested. While the connection's
 * send buffer is under the high-water mark, every part is its own `delta`. Above it, consecutive text
 * (or reasoning) parts are merged into one pending delta, sent as soon as the buffer drains: a slow
 * reader gets fewer, larger frames instead of a queue of one frame per token. The pending text is
 * bounded (`mergeLimit` characters); past it, or for a part that cannot merge (a tool-call
 * fragment), `push` returns a promise that resolves once the buffer drains, and the caller stops
 * reading its upstream until then. Memory per request is so bounded by `mergeLimit`.
 */
export function createDeltaMerger(options: {
  sender: ConnectionSender;
  /** Sends one encoded frame (to the client, and wherever else the request's frames go). */
  send(frame: string): void;
  requestId: string;
  highWaterBytes: number;
  mergeLimit: number;
  /** Numbers frames: the next `seq` of this request. */
  nextSeq(): number;
}) {
  const { sender, send, requestId, highWaterBytes, mergeLimit, nextSeq } = options;
  const encodeDelta = createDeltaEncoder(requestId);
  let pending: { type: 'text-delta' | 'reasoning-delta'; text: string } | undefined;
  let draining: Promise<void> | undefined;

  const flush = () => {
    if (!pending) return;
    const part = pending;
    pending = undefined;
    send(encodeDelta(nextSeq(), part));
  };

  const flushWhenDrained = () => {
    draining ??= sender.flushed().then(() => {
      draining = undefined;
      flush();
    });
    return draining;
  };

  return {
    /** Sends or merges one part; a returned promise means: wait before pulling the next part. */
    push(part: OutputPart): Promise<void> | undefined {
      if (!sender.isOpen()) {
        // The client is gone, so nothing congests: frames go on to the resume log as they come.
        flush();
        send(encodeDelta(nextSeq(), part));
        return undefined;
      }
      if (!pending && sender.buffered() < highWaterBytes) {
        send(encodeDelta(nextSeq(), part));
        return undefined;
      }
      const mergeable = part.type !== 'tool-call-delta' && (!pending || pending.type === part.type);
      if (mergeable && (pending?.text.length ?? 0) < mergeLimit) {
        pending ??= { type: part.type, text: '' };
        pending.text += part.text;
        void flushWhenDrained();
        return undefined;
      }
      flush();
      send(encodeDelta(nextSeq(), part));
      return flushWhenDrained();
    },
    /** Sends whatever is pending, before the request's terminal event. */
    flush,
  };
}
