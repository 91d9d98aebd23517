/** One participant's view of a broadcast: every item published so far, then the live rest. */
export interface Subscription<Item> extends AsyncIterable<Item> {
  /**
   * Stops reading (a client's cancel); a pending read ends at once. Leaving the `for await` loop
   * early does the same. When the last participant leaves before the end, the upstream is aborted.
   */
  leave(): void;
}

/** The leader's side of a live call: it publishes what the upstream sends, its own client reads. */
export interface Broadcast<Item> {
  /** The leader's own client: a participant like any other, so its leaving does not stop the rest. */
  readonly subscription: Subscription<Item>;
  /** Appends an item for every participant; ignored after the end or once everyone left. */
  publish(item: Item): void;
  /** Publishes the terminal item (`finish`, `done` or `error`) and frees the key for a new call. */
  end(terminal: Item): void;
  /**
   * Undefined when some participant has read to within `maxLag` items of the end (or everyone left);
   * otherwise a promise that resolves once one has. The publisher waits on it so that when every
   * reader is slow the upstream slows too, and the buffer stays bounded; one reader keeping up is
   * enough to go on. No promise in the usual case, so a publisher keeping pace pays no await per item.
   */
  readersCaughtUp(maxLag: number): Promise<void> | undefined;
}

/** What the leader hands over: the upstream call's controller, which the hub aborts when nobody is left. */
export interface LeadOptions {
  upstream: AbortController;
}

/** Live upstream calls by key, which identical requests join instead of calling again. */
export interface CoalescingHub<Item> {
  /** Makes the caller the leader of a new call for the key; undefined when one is live (join it). */
  lead(key: string, options: LeadOptions): Broadcast<Item> | undefined;
  /** A subscription to the live call for the key; undefined when there is none (lead one). */
  join(key: string): Subscription<Item> | undefined;
  /** How many keys have a live call. */
  activeKeys(): number;
  /** How many participants (the leader's client included) still read the live call for the key. */
  subscribers(key: string): number;
}

/** The reason the upstream is aborted with when every participant left: a cancel, not a failure. */
const everyoneLeft = 'every client left';

interface Channel<Item> {
  /** The whole reply so far: the one replay buffer that every participant reads at its own pace. */
  items: Item[];
  ended: boolean;
  abandoned: boolean;
  participants: number;
  upstream: AbortController;
  /** Pending reads, each retried when something changes. */
  waiting: Set<() => void>;
  /** How far each participant has read. */
  cursors: Set<{ cursor: number }>;
  /** A publisher waiting for a reader to catch up. */
  catchUp: (() => void) | undefined;
}

/**
 * Request coalescing. The first request for a key leads: it owns the upstream call and publishes its
 * items into a channel; identical requests that arrive while it streams join and receive every item
 * already published, then the live rest, through the terminal item. Publishing never waits for a
 * reader, so a slow participant delays nobody: memory is one copy of the reply per key, whatever the
 * number of participants, each of which is only a cursor into it. The upstream is aborted only when
 * every participant, the leader's client included, has left before the end.
 */
export function createCoalescingHub<Item>(): CoalescingHub<Item> {
  const live = new Map<string, Channel<Item>>();

  const wake = (channel: Channel<Item>) => {
    const pending = [...channel.waiting];
    channel.waiting.clear();
    for (const retry of pending) retry();
  };

  const release = (key: string, channel: Channel<Item>) => {
    if (live.get(key) === channel) live.delete(key);
  };

  const subscribe = (key: string, channel: Channel<Item>): Subscription<Item> => {
    channel.participants += 1;
    const position = { cursor: 0 };
    channel.cursors.add(position);
    let left = false;
    const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };

    const leave = () => {
      if (left) return;
      left = true;
      channel.participants -= 1;
      channel.cursors.delete(position);
      channel.catchUp?.();
      if (channel.participants === 0 && !channel.ended) {
        channel.abandoned = true;
        channel.items = [];
        release(key, channel);
        channel.upstream.abort(everyoneLeft);
      }
      wake(channel);
    };

    const iterator: AsyncIterator<Item, undefined> = {
      next: () =>
        new Promise((resolve) => {
          const attempt = () => {
            if (left) resolve(finished);
            else if (position.cursor < channel.items.length) {
              resolve({ done: false, value: channel.items[position.cursor++]! });
              channel.catchUp?.();
            } else if (channel.ended) resolve(finished);
            else channel.waiting.add(attempt);
          };
          attempt();
        }),
      return: async () => {
        leave();
        return finished;
      },
    };
    return { leave, [Symbol.asyncIterator]: () => iterator };
  };

  return {
    lead(key, { upstream }) {
      if (live.has(key)) return undefined;
      const channel: Channel<Item> = {
        items: [],
        ended: false,
        abandoned: false,
        participants: 0,
        upstream,
        waiting: new Set(),
        cursors: new Set(),
        catchUp: undefined,
      };
      live.set(key, channel);
      // Created with the channel, so a joiner leaving early can never find it without participants.
      const subscription = subscribe(key, channel);
      return {
        subscription,
        publish(item) {
          if (channel.ended || channel.abandoned) return;
          channel.items.push(item);
          wake(channel);
        },
        readersCaughtUp(maxLag) {
          const caughtUp = () => {
            if (channel.cursors.size === 0) return true;
            let furthest = 0;
            for (const reader of channel.cursors) furthest = Math.max(furthest, reader.cursor);
            return channel.items.length - furthest <= maxLag;
          };
          if (caughtUp()) return undefined;
          return new Promise((resolve) => {
            channel.catchUp = () => {
              if (!caughtUp()) return;
              channel.catchUp = undefined;
              resolve();
            };
          });
        },
        end(terminal) {
          if (channel.ended || channel.abandoned) return;
          channel.items.push(terminal);
          channel.ended = true;
          release(key, channel);
          wake(channel);
        },
      };
    },
    join(key) {
      const channel = live.get(key);
      return channel ? subscribe(key, channel) : undefined;
    },
    activeKeys: () => live.size,
    subscribers: (key) => live.get(key)?.participants ?? 0,
  };
}
