import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** Why an address was refused, with when to try again. */
export interface IpRefusal {
  reason: string;
  retryAfterMs?: number;
}

/**
 * Flood protection per client address: handshakes per minute (rate-limiter-flexible) and open
 * connections at once. It runs before authentication, so a flood of bad credentials costs little.
 */
export function createPerIpGuard(limits: { max_connections: number; handshakes_per_minute: number }) {
  const handshakes = new RateLimiterMemory({
    points: limits.handshakes_per_minute,
    duration: 60,
    keyPrefix: 'handshake',
  });
  const open = new Map<string, number>();
  return {
    /** Counts a handshake; resolves with a refusal when the address is over a limit. */
    async admitHandshake(address: string): Promise<IpRefusal | undefined> {
      if ((open.get(address) ?? 0) >= limits.max_connections) {
        return { reason: `at most ${limits.max_connections} connections per address` };
      }
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
    /** Records an open connection; the returned function records its close. */
    connectionOpened(address: string): () => void {
      open.set(address, (open.get(address) ?? 0) + 1);
      return () => {
        const count = (open.get(address) ?? 1) - 1;
        if (count <= 0) open.delete(address);
        else open.set(address, count);
      };
    },
  };
}
