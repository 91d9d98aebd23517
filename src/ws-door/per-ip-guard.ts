import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** Why an address was refused, with when to try again. */
export interface IpRefusal {
  reason: string;
  retryAfterMs?: number;
}

/** Flood protection per client address, shared by both doors. */
export type PerIpGuard = ReturnType<typeof createPerIpGuard>;

/**
 * Flood protection per client address: open TCP connections at once (HTTP and WebSocket alike, counted
 * once each) and WebSocket handshakes per minute (rate-limiter-flexible). Both run before
 * authentication, so a flood of bad credentials costs little.
 */
export function createPerIpGuard(limits: { max_connections: number; handshakes_per_minute: number }) {
  const handshakes = new RateLimiterMemory({
    points: limits.handshakes_per_minute,
    duration: 60,
    keyPrefix: 'handshake',
  });
  const open = new Map<string, number>();
  return {
    /** Counts a handshake; resolves with a refusal when the address is over its per-minute limit. */
    async admitHandshake(address: string): Promise<IpRefusal | undefined> {
      try {
        await handshakes.consume(address);
        return undefined;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return {
          reason: `at most ${limits.handshakes_per_minute} handshakes per minute per address`,
          retryAfterMs: rejection.msBeforeNext,
        };
      }
    },
    /**
     * Counts a new TCP connection: undefined when the address already holds its limit (the caller
     * drops it), otherwise a function that records its close.
     */
    admitConnection(address: string): (() => void) | undefined {
      const count = open.get(address) ?? 0;
      if (count >= limits.max_connections) return undefined;
      open.set(address, count + 1);
      return () => {
        const left = (open.get(address) ?? 1) - 1;
        if (left <= 0) open.delete(address);
        else open.set(address, left);
      };
    },
  };
}
