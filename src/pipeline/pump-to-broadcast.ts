import type { Broadcast } from '../cache/coalescing-hub.ts';
import type { CacheRecorder } from '../cache/create-cache-recorder.ts';
import type { SharedCallPublisher } from '../cache/shared-calls.ts';
import { GatewayError, isGatewayError } from '../errors/gateway-error.ts';
import type { OpenedUpstream } from '../routing/open-upstream.ts';
import type { ChatMessage } from '../spec/chat-request.ts';
import type { SourceItem } from '../spec/source-item.ts';
import type { StreamPart } from '../spec/stream-part.ts';
import { createOutputTally } from './output-tally.ts';

/**
 * The replayed part of a coalesced call, kept for requests yet to join, rewritten with every run of
 * consecutive text (or reasoning) deltas as one delta: a few objects per reply rather than one per
 * token. A run's later pieces are joined into one string that the first one is prepended to (the
 * first is the reply so far when the run goes on from an earlier rewrite, which is so not copied).
 * Tool-call deltas and everything else are kept as they are.
 */
export function mergeTextRuns(items: SourceItem[]): SourceItem[] {
  const merged: SourceItem[] = [];
  let index = 0;
  while (index < items.length) {
    const first = items[index++]!;
    if (first.type !== 'text-delta' && first.type !== 'reasoning-delta') {
      merged.push(first);
      continue;
    }
    const later: string[] = [];
    while (index < items.length) {
      const next = items[index]!;
      if (next.type !== first.type) break;
      later.push(next.text);
      index++;
    }
    merged.push(later.length === 0 ? first : { type: first.type, text: first.text + later.join('') });
  }
  return merged;
}

/** How far behind its readers a coalesced call may run before it waits for them. */
const maxLagItems = 256;

export interface PumpOptions {
  opened: OpenedUpstream;
  broadcast: Broadcast<SourceItem>;
  /** The shared call's controller, aborted when every client left (or on timeout, or shutdown). */
  upstream: AbortController;
  /**
   * The call's clock, started with the call (before the upstream answered) by whoever owns its
   * timers: the pump notes there the `performance.now()` of every output part, for the idle timeout.
   */
  clock: { lastOutputAt: number };
  messages: readonly ChatMessage[];
  /** Present when the reply may be cached: called with the finished reply before the call ends. */
  store?: {
    recorder: CacheRecorder;
    save(reply: NonNullable<ReturnType<CacheRecorder['finish']>>): Promise<void>;
  };
  /** Present when other instances follow this call: every item is published for them too. */
  mirror?: SharedCallPublisher;
}

/**
 * Reads a coalesced upstream call on its own, at the pace of its fastest client, and publishes every
 * part to all of them: the leader's client is one subscriber among others, so its cancel does not
 * end the call for the rest. A finished reply is stored in the cache before the call ends, so an
 * identical request arriving then finds it there.
 */
export async function pumpToBroadcast(options: PumpOptions): Promise<void> {
  const { opened, upstream, store, mirror, clock } = options;
  const publish = (item: SourceItem) => {
    options.broadcast.publish(item);
    mirror?.publish(item);
  };
  // Only a reply that may be cached needs its own usage count (the clients' requests keep theirs).
  const tally = store && createOutputTally(() => options.messages);
  let terminal: StreamPart | undefined;
  try {
    publish({ type: 'start', model: opened.target.model, provider: opened.target.provider });
    store?.recorder.start({ model: opened.target.model, provider: opened.target.provider });
    for await (const part of opened.stream) {
      if (part.type === 'finish' || part.type === 'error') {
        terminal = part;
        break;
      }
      clock.lastOutputAt = performance.now();
      tally?.add(part);
      store?.recorder.add(part);
      publish(part);
      const lagging = options.broadcast.readersCaughtUp(maxLagItems);
      if (lagging) await lagging;
    }
  } catch (error) {
    terminal = {
      type: 'error',
      error: isGatewayError(error) ? error : new GatewayError('upstream_error', String(error)),
    };
  } finally {
    opened.release();
  }
  if (!terminal) {
    // The adapter ends quietly when aborted: say why, for whoever still listens.
    const reason = upstream.signal.reason;
    terminal = {
      type: 'error',
      error: isGatewayError(reason)
        ? reason
        : new GatewayError('upstream_error', 'the upstream call was stopped'),
    };
  }
  if (terminal.type === 'finish' && store && tally) {
    const usage = tally.usage(terminal.usage);
    const reply = store.recorder.finish(terminal.finishReason, {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
    });
    if (reply) await store.save(reply).catch(() => {});
  } else store?.recorder.fail();
  endSharedCall(options.broadcast, mirror, terminal);
}

/**
 * Ends a shared call with its terminal item for everyone reading it: this instance's clients, and
 * through `mirror` (when this instance claimed the call) the other instances' followers.
 */
export function endSharedCall(
  broadcast: Broadcast<SourceItem>,
  mirror: SharedCallPublisher | undefined,
  terminal: SourceItem,
): void {
  broadcast.end(terminal);
  mirror?.publish(terminal);
  mirror?.end();
}
