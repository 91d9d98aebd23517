import { createHash, randomBytes } from 'node:crypto';

/** How a stored API key looks in the config: `sha256:` and 64 lowercase hex digits. */
export type ApiKeyHash = `sha256:${string}`;

/** The prefix of keys Sluice generates, so a leaked key is recognisable (and greppable by secret scanners). */
export const apiKeyPrefix = 'sk-sluice-';

/**
 * The config form of an API key. Keys are long random strings, so an unsalted fast hash is enough:
 * nobody can brute-force 256 random bits, and a stolen config does not reveal a usable key.
 *
 * Authenticators look the hash up in a Map rather than comparing with `crypto.timingSafeEqual`:
 * the lookup's timing depends only on the SHA-256 of the attacker's guess, and since no one can
 * steer a hash's prefix, learning "the first bytes of my guess's hash matched" says nothing
 * about any stored key.
 */
export function hashApiKey(key: string): ApiKeyHash {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** A new API key with 256 random bits: `sk-sluice-` followed by 43 base64url characters. */
export function generateApiKey(): string {
  return `${apiKeyPrefix}${randomBytes(32).toString('base64url')}`;
}
