/** One admitted request's hold on its holder's budget. */
export interface InFlightSlot {
  /** The connection that started the request closed: unless a resume reads it, it is now an orphan. */
  leave(): void;
  /** The request ended: its place is free (or goes to the request that evicted it). */
  end(): void;
}

interface Holder {
  /** Requests admitted and not yet ended, orphans and those being evicted included. */
  count: number;
  /** Requests no connection reads, oldest orphan first (a `Set` iterates in insertion order). */
  orphans: Set<Entry>;
}

interface Entry {
  holderKey: string;
  holder: Holder;
  requestKey: string;
  /** Connections reading the request: the one that started it, and any that resumed it. */
  readers: number;
  abort(): void;
  /** Aborted to make room: its place passes to the request that is waiting for it to end. */
  evicted: boolean;
  finished: boolean;
  ended: PromiseWithResolvers<void>;
}

/**
 * A server's bound on the WebSocket requests one holder (a user, or an anonymous user's address) may
 * have running at once, counting orphans: requests whose connection closed and that run on for the
 * resume grace period. Without it, a client could start `max_requests_per_connection` chats, drop the
 * connection and start again, and so keep any number of upstream streams running. A request that
 * would go over the bound evicts the holder's oldest orphan (aborted like a grace period that ran
 * out) and takes its place once it has ended, so the upstream never sees more than the bound; with
 * no orphan left it is refused. A request a connection has resumed is no orphan.
 */
export function createInFlightBudget(limit: number) {
  const holders = new Map<string, Holder>();
  /** Running requests by user and client id, for a `resume` to find. */
  const requests = new Map<string, Entry>();

  const orphanIfUnread = (entry: Entry) => {
    if (entry.readers === 0 && !entry.evicted && !entry.finished) entry.holder.orphans.add(entry);
  };

  /** A reader's going away, once however often it is called. */
  const readerOf = (entry: Entry) => {
    let reading = true;
    return () => {
      if (!reading) return;
      reading = false;
      entry.readers--;
      orphanIfUnread(entry);
    };
  };

  return {
    /**
     * Admits a request of `holderKey` (known to `resume` as `requestKey`), evicting the holder's
     * oldest orphan when it is at the bound; `undefined` when it is at the bound with no orphan.
     * `abort` ends the request when it is evicted.
     */
    async admit(holderKey: string, requestKey: string, abort: () => void): Promise<InFlightSlot | undefined> {
      let holder = holders.get(holderKey);
      if (!holder) {
        holder = { count: 0, orphans: new Set() };
        holders.set(holderKey, holder);
      }
      if (holder.count >= limit) {
        const oldest = holder.orphans.values().next().value;
        if (!oldest) return undefined;
        holder.orphans.delete(oldest);
        oldest.evicted = true;
        oldest.abort();
        // Its place is this request's from now on: `count` stays, and nobody else can take it.
        await oldest.ended.promise;
      } else {
        holder.count++;
      }
      const entry: Entry = {
        holderKey,
        holder,
        requestKey,
        readers: 1,
        abort,
        evicted: false,
        finished: false,
        ended: Promise.withResolvers(),
      };
      requests.set(requestKey, entry);
      return {
        leave: readerOf(entry),
        end() {
          if (entry.finished) return;
          entry.finished = true;
          entry.holder.orphans.delete(entry);
          if (requests.get(requestKey) === entry) requests.delete(requestKey);
          if (!entry.evicted) {
            entry.holder.count--;
            if (entry.holder.count === 0) holders.delete(entry.holderKey);
          }
          entry.ended.resolve();
        },
      };
    },

    /**
     * A connection resumed the request known as `requestKey`: while it reads, the request is no
     * orphan. Returns what to call when it stops reading (nothing when the request does not run here).
     */
    attach(requestKey: string): () => void {
      const entry = requests.get(requestKey);
      if (!entry || entry.evicted) return () => {};
      entry.readers++;
      entry.holder.orphans.delete(entry);
      return readerOf(entry);
    },
  };
}

/** The per-server budget of requests in flight. */
export type InFlightBudget = ReturnType<typeof createInFlightBudget>;
