import type { CoalescingHub, Subscription } from '../cache/coalescing-hub.ts';
import type { SharedCallPublisher, SharedCalls } from '../cache/shared-calls.ts';
import { GatewayError, isGatewayError, toGatewayError } from '../errors/gateway-error.ts';
import type { OpenedUpstream } from '../routing/open-upstream.ts';
import type { SourceItem } from '../spec/source-item.ts';
import { abortWhen } from './abort-signal-promise.ts';
import { endSharedCall, type PumpOptions, pumpToBroadcast } from './pump-to-broadcast.ts';
import { startUpstreamTimers, type UpstreamTimeouts } from './upstream-timers.ts';

export interface SharedCallOptions {
  key: string;
  hub: CoalescingHub<SourceItem>;
  /** Present with Redis: the call is shared with identical requests on other instances too. */
  sharedCalls?: SharedCalls;
  /** Aborted when the server stops: the call ends with its reason. */
  stopped: AbortSignal;
  /** Opens the route's upstream under the call's signal. */
  open(signal: AbortSignal): Promise<OpenedUpstream>;
  /** The route's idle and total timeouts, which the call's clock counts from its start. */
  timeouts: UpstreamTimeouts;
  messages: PumpOptions['messages'];
  /** Present when the reply may be cached. */
  store?: PumpOptions['store'];
}

/** How often a leader whose own clients all left checks whether other instances still follow. */
const followerCheckMs = 1000;
/** How many times a request that found another instance's call gone tries to claim or follow again. */
const claimAttempts = 3;

/**
 * Starts the one call that identical requests share and returns the first participant's
 * subscription. Within the instance the coalescing hub shares it; with Redis the instance either
 * claims the key and calls upstream (publishing every item for other instances), or follows the
 * call another instance already runs, item for item, as if it were its own upstream.
 */
export function startSharedCall(options: SharedCallOptions): Subscription<SourceItem> {
  const { key, hub, sharedCalls } = options;
  // Aborted by the hub when every client of this instance left; the call itself may run on.
  const localClientsGone = new AbortController();
  const call = new AbortController();
  const broadcast = hub.lead(key, { upstream: localClientsGone })!;
  const unlink = abortWhen(options.stopped, call);
  // The call's clock starts now, before any upstream (or other instance) has answered, at the moment a
  // request's own call starts its own: `total_ms` bounds the wait for the first token as well, so a
  // slow first token ends the call at the same time with coalescing on or off. Every request that
  // joins later reads this call and ends by this clock, not by one of its own: the clock bounds the
  // upstream call, which a late joiner must not extend for everyone already waiting on it (and which
  // ends no later than the joiner's own clock would). A follower's clock is a backstop: the instance
  // it follows runs an earlier one and publishes the timeout.
  const clock = { lastOutputAt: 0 };
  const stopTimers = startUpstreamTimers(call, options.timeouts, () => clock.lastOutputAt);
  let leading = false;

  localClientsGone.signal.addEventListener('abort', () => {
    const reason = localClientsGone.signal.reason;
    if (!leading || !sharedCalls) {
      call.abort(reason);
      return;
    }
    // Followers on other instances read this call too: stop only once none is left.
    const check = () =>
      sharedCalls.isFollowed(key).then(
        (followed) => {
          if (followed && !call.signal.aborted) setTimeout(check, followerCheckMs).unref();
          else call.abort(reason);
        },
        () => call.abort(reason),
      );
    void check();
  });

  /** Calls upstream; `mirror` when this instance claimed the key for every instance. */
  const lead = async (mirror?: SharedCallPublisher) => {
    leading = mirror !== undefined;
    let opened: OpenedUpstream;
    try {
      opened = await options.open(call.signal);
    } catch (error) {
      // Followers on other instances wait for this call's items too: tell them how it ended.
      const reason = call.signal.reason;
      const failure: SourceItem = {
        type: 'error',
        // The call's own timeout (or the server's stop) says why better than the abort it caused.
        error: isGatewayError(reason) ? reason : toGatewayError(error, 'upstream_error'),
      };
      endSharedCall(broadcast, mirror, failure);
      return;
    }
    await pumpToBroadcast({
      opened,
      broadcast,
      upstream: call,
      clock,
      messages: options.messages,
      store: options.store,
      mirror,
    });
  };

  /** Relays another instance's call; false when it was gone before its first item (claim again). */
  const follow = async (calls: SharedCalls): Promise<boolean> => {
    const detach = calls.attach(key);
    let relayed = 0;
    try {
      for await (const item of calls.follow(key, call.signal)) {
        relayed += 1;
        // The leader's `start` comes with the first output part, so it counts as output too.
        clock.lastOutputAt = performance.now();
        if (item.type === 'finish' || item.type === 'error') {
          broadcast.end(item);
          return true;
        }
        broadcast.publish(item);
      }
      if (call.signal.aborted) {
        const reason = call.signal.reason;
        broadcast.end({ type: 'error', error: isGatewayError(reason) ? reason : stoppedError() });
        return true;
      }
    } catch (error) {
      if (!isGatewayError(error) || error.code !== 'not_found') throw error;
      // Gone before its first item: claim again. Gone after (its instance died mid-call): lost.
      if (relayed === 0) return false;
      broadcast.end({ type: 'error', error: lostError() });
      return true;
    } finally {
      detach();
    }
    broadcast.end({ type: 'error', error: lostError() });
    return true;
  };

  const run = async () => {
    if (!sharedCalls) return lead();
    for (let attempt = 0; attempt < claimAttempts; attempt++) {
      const publisher = await sharedCalls.claim(key);
      if (publisher) return lead(publisher);
      if (await follow(sharedCalls)) return;
    }
    // The key kept changing hands: call upstream for this instance alone rather than fail.
    return lead();
  };

  void run()
    .catch((error: unknown) =>
      broadcast.end({ type: 'error', error: toGatewayError(error, 'upstream_error') }),
    )
    .finally(() => {
      stopTimers();
      unlink();
    });
  return broadcast.subscription;
}

const stoppedError = () => new GatewayError('upstream_error', 'the shared call was stopped');
const lostError = () =>
  new GatewayError('upstream_error', 'the instance running the shared call stopped before it ended');
