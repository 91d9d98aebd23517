/** How a caller proved who it is. */
export type IdentityKind = 'api_key' | 'jwt' | 'anonymous';

/** Who is calling, as every step after the door sees it. */
export interface Identity {
  /** The user name, in its credential kind's namespace (see `userNames`): what quotas, the ledger and resume key on. */
  user: string;
  /** The quota plan the user is on. */
  plan: string;
  kind: IdentityKind;
  /** Admins may read any user's usage: only admin keys and JWTs with the configured admin claim are. */
  admin: boolean;
  /** When a JWT's `exp` passes, in ms since the epoch; absent for credentials that do not expire. */
  expiresAt?: number;
}

/**
 * Whether the identity's credential has expired by `now`. A connection outlives the handshake
 * that authenticated it, so the doors ask this before starting each new request.
 */
export function isExpired(identity: Identity, now: number = Date.now()): boolean {
  return identity.expiresAt !== undefined && now >= identity.expiresAt;
}
