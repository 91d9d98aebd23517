/**
 * The user names identities carry. Quotas, the usage ledger, resume keys and `/v1/usage` all key on
 * the name, so each credential kind gets a namespace of its own: `key:<user>` for an API key,
 * `jwt:<issuer>:<subject>` for a JWT (`jwt:<subject>` when the token names no issuer), and
 * `anonymous:<user>` for anonymous access. Every namespace ends in a colon and the admin key's name
 * has none, so no credential but an admin key can be called `admin`, and a name carrying another
 * namespace's prefix (a JWT subject `key:alice`) still sits inside its own (`jwt:…:key:alice`).
 */
export const userNames = {
  /** The one user every admin key is. */
  admin: 'admin',
  /** The user of an API key with the configured `user`. */
  apiKey: (user: string) => `key:${user}`,
  /** The user anonymous requests run as, from the configured `user`. */
  anonymous: (user: string) => `anonymous:${user}`,
  /**
   * The prefix of a JWT's subject. A key set is one trust domain (whoever holds its signing key may
   * write any `iss`), so the issuer separates issuers' subjects for the ledger, not for security.
   */
  jwtPrefix: (issuer: string | undefined) => (issuer === undefined ? 'jwt:' : `jwt:${issuer}:`),
} as const;
