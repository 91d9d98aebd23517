/** One participant's view of a broadcast: every item published so far, then the live rest. */
export interface Subscription<Item> extends AsyncIterable<Item> {
  /**
   * Stops reading (a client's cancel); a pending read ends at once. Leaving the `for await` loop
   * early does the same. When the last participant leaves before the end, the upstream is aborted.
   */
  leave(): void;
  /**
   * The next item if one is ready, read without waiting; undefined when none is there yet, or when
   * the reader is `over`. A reader that keeps up pays one promise per item (its `changed()`), where
   * the iterator's `next()` pays more; items are never undefined.
   */
  take(): Item | undefined;
  /** Whether nothing is left to read: the terminal item was read, or the participant left. */
  over(): boolean;
  /**
   * Resolves once `take` or `over` may answer otherwise: an item came, the call ended, or the
   * participant left (at once if that is already so). Waiters at the same time share one promise.
   */
  changed(): Promise<void>;
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

/** How a hub keeps the replay buffer small. */
export interface CoalescingHubOptions<Item> {
  /**
   * Rewrites items that every current participant has read, which are kept only for participants
   * yet to join, as fewer items that replay the same reply (a run of text deltas as one delta).
   * It receives the last item of its previous rewrite first, then the items read since, and returns
   * no more items than it was given, in the same order. Without it every item is kept as published.
   */
  compactReplayed?(items: Item[]): Item[];
}

/** How many items a channel grows by between two rewrites of its replayed items. */
const compactionStep = 16;

/** The reason the upstream is aborted with when every participant left: a cancel, not a failure. */
const everyoneLeft = 'every client left';

/** How far one participant has read, and how to wake it when it waits for more. */
interface Reader {
  cursor: number;
  /** Resolves the participant's pending `changed()`, if any. */
  wake(): void;
}

interface Channel<Item> {
  /** The whole reply so far: the one replay buffer that every participant reads at its own pace. */
  items: Item[];
  ended: boolean;
  abandoned: boolean;
  upstream: AbortController;
  /**
   * The participants still reading, the leader's client included: an array, so that a publish walks it
   * without allocating.
   */
  readers: Reader[];
  /** A publisher waiting for a reader to catch up. */
  catchUp: (() => void) | undefined;
  /** How many items at the front came out of the last rewrite of replayed items. */
  compacted: number;
  /** The buffer's length at which the replayed items are rewritten next. */
  compactAt: number;
}

/** Whether no reader is left, or one has read to within `maxLag` items of the end. */
function caughtUp(channel: Channel<unknown>, maxLag: number): boolean {
  const { readers } = channel;
  if (readers.length === 0) return true;
  let furthest = 0;
  for (let index = 0; index < readers.length; index++) furthest = Math.max(furthest, readers[index]!.cursor);
  return channel.items.length - furthest <= maxLag;
}

/**
 * Request coalescing. The first request for a key leads: it owns the upstream call and publishes its
 * items into a channel; identical requests that arrive while it streams join and receive every item
 * already published, then the live rest, through the terminal item. Publishing never waits for a
 * reader, so a slow participant delays nobody: memory is one copy of the reply per key, whatever the
 * number of participants, each of which is only a cursor into it. The upstream is aborted only when
 * every participant, the leader's client included, has left before the end.
 */
export function createCoalescingHub<Item>(options: CoalescingHubOptions<Item> = {}): CoalescingHub<Item> {
  const { compactReplayed } = options;
  const live = new Map<string, Channel<Item>>();

  /**
   * Rewrites the items that every reader has read since the last rewrite (with the last item it
   * produced, which may merge with them), and moves the unread rest and every cursor back by as
   * many items as it saved.
   */
  const compact = (channel: Channel<Item>, rewrite: (items: Item[]) => Item[]) => {
    const { items, readers } = channel;
    channel.compactAt = items.length + compactionStep;
    let read = items.length;
    for (let index = 0; index < readers.length; index++) read = Math.min(read, readers[index]!.cursor);
    const from = Math.max(channel.compacted - 1, 0);
    if (read - from < 2) return;
    const rewritten = rewrite(items.slice(from, read));
    for (let index = 0; index < rewritten.length; index++) items[from + index] = rewritten[index]!;
    channel.compacted = from + rewritten.length;
    const saved = read - channel.compacted;
    if (saved === 0) return;
    items.copyWithin(channel.compacted, read);
    items.length -= saved;
    for (let index = 0; index < readers.length; index++) readers[index]!.cursor -= saved;
    channel.compactAt -= saved;
  };

  const wake = (channel: Channel<Item>) => {
    const { readers } = channel;
    for (let index = 0; index < readers.length; index++) readers[index]!.wake();
  };

  const release = (key: string, channel: Channel<Item>) => {
    if (live.get(key) === channel) live.delete(key);
  };

  const subscribe = (key: string, channel: Channel<Item>): Subscription<Item> => {
    // One waiter per participant, reused for every wait: no closure per item.
    let changed: Promise<void> | undefined;
    let resolveChanged: (() => void) | undefined;
    const park = (resolve: () => void) => {
      resolveChanged = resolve;
    };
    const reader: Reader = {
      cursor: 0,
      wake() {
        const resolve = resolveChanged;
        if (!resolve) return;
        changed = undefined;
        resolveChanged = undefined;
        resolve();
      },
    };
    channel.readers.push(reader);
    let left = false;
    const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };

    const leave = () => {
      if (left) return;
      left = true;
      channel.readers.splice(channel.readers.indexOf(reader), 1);
      channel.catchUp?.();
      if (channel.readers.length === 0 && !channel.ended) {
        channel.abandoned = true;
        channel.items = [];
        release(key, channel);
        channel.upstream.abort(everyoneLeft);
      }
      reader.wake();
    };

    const take = (): Item | undefined => {
      if (left || reader.cursor >= channel.items.length) return undefined;
      const item = channel.items[reader.cursor++];
      channel.catchUp?.();
      return item;
    };
    const over = () => left || (channel.ended && reader.cursor >= channel.items.length);
    const waitForChange = (): Promise<void> => {
      if (left || channel.ended || reader.cursor < channel.items.length) return Promise.resolve();
      changed ??= new Promise(park);
      return changed;
    };

    const iterator: AsyncIterator<Item, undefined> = {
      next() {
        const item = take();
        if (item !== undefined) return Promise.resolve({ done: false, value: item });
        if (over()) return Promise.resolve(finished);
        return waitForChange().then(() => iterator.next());
      },
      return: async () => {
        leave();
        return finished;
      },
    };
    return { leave, take, over, changed: waitForChange, [Symbol.asyncIterator]: () => iterator };
  };

  return {
    lead(key, { upstream }) {
      if (live.has(key)) return undefined;
      const channel: Channel<Item> = {
        items: [],
        ended: false,
        abandoned: false,
        upstream,
        readers: [],
        catchUp: undefined,
        compacted: 0,
        compactAt: compactionStep,
      };
      live.set(key, channel);
      // Created with the channel, so a joiner leaving early can never find it without participants.
      const subscription = subscribe(key, channel);
      return {
        subscription,
        publish(item) {
          if (channel.ended || channel.abandoned) return;
          channel.items.push(item);
          if (compactReplayed && channel.items.length >= channel.compactAt) compact(channel, compactReplayed);
          wake(channel);
        },
        readersCaughtUp(maxLag) {
          if (caughtUp(channel, maxLag)) return undefined;
          return new Promise((resolve) => {
            channel.catchUp = () => {
              if (!caughtUp(channel, maxLag)) return;
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
    subscribers: (key) => live.get(key)?.readers.length ?? 0,
  };
}
