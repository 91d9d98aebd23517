/**
 * What instances tell each other about running requests: which ones a client is reading right now
 * (so that a request whose own client left is not aborted while a resumed client reads it), and
 * cancels sent from the instance a client resumed on to the instance that runs the request.
 */
export interface RequestSignals {
  /** Marks that a client reads `key` now; call the returned function when it stops. */
  attach(key: string): () => void;
  /** Whether some client, on any instance, reads `key` now. */
  isAttached(key: string): Promise<boolean>;
  /** Asks whichever instance runs `key` to cancel it. */
  cancel(key: string): Promise<void>;
  /** Hears every cancel sent for any key (the listener ignores keys it does not run). */
  onCancel(listener: (key: string) => void): void;
  close(): Promise<void>;
}

/** Signals within one process: enough when every client reconnects to the same instance. */
export function createLocalRequestSignals(): RequestSignals {
  const readers = new Map<string, number>();
  const listeners: Array<(key: string) => void> = [];
  return {
    attach(key) {
      readers.set(key, (readers.get(key) ?? 0) + 1);
      let attached = true;
      return () => {
        if (!attached) return;
        attached = false;
        const left = (readers.get(key) ?? 1) - 1;
        if (left > 0) readers.set(key, left);
        else readers.delete(key);
      };
    },
    isAttached: async (key) => readers.has(key),
    async cancel(key) {
      for (const listener of listeners) listener(key);
    },
    onCancel(listener) {
      listeners.push(listener);
    },
    async close() {
      readers.clear();
    },
  };
}
