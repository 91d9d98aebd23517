import { GatewayError } from '../errors/gateway-error.ts';
import type { AuthConfig } from './auth-config-schema.ts';
import { createJwtVerifier, type JwtVerifierOptions } from './create-jwt-verifier.ts';
import { hashApiKey } from './hash-api-key.ts';
import type { Identity } from './identity.ts';
import { userNames } from './user-names.ts';

/** Turns a presented token (or its absence) into an identity. */
export interface Authenticator {
  /** Resolves the caller's identity; rejects with an `unauthorized` GatewayError (or `unavailable` when the JWKS cannot be fetched). */
  authenticate(token: string | undefined): Promise<Identity>;
}

export type AuthenticatorOptions = JwtVerifierOptions;

/** Three base64url segments; the signature may be empty so that unsigned tokens get a JWT refusal. */
const jwtShape = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** Creates the authenticator for an `auth:` config: admin keys, then API keys, then JWTs. */
export function createAuthenticator(config: AuthConfig, options: AuthenticatorOptions = {}): Authenticator {
  // Keyed by hash: see hashApiKey for why a Map lookup is safe here.
  const apiKeys = new Map(config.api_keys.map((key) => [key.hash, key]));
  const adminKeys = new Set(config.admin_keys);
  const verifyJwt = config.jwt === undefined ? undefined : createJwtVerifier(config.jwt, options);
  const anonymous = config.anonymous;
  const anonymousUser = userNames.anonymous(anonymous.user);

  return {
    async authenticate(token) {
      if (token === undefined) {
        if (anonymous.enabled) {
          return { user: anonymousUser, plan: anonymous.plan, kind: 'anonymous', admin: false };
        }
        throw new GatewayError('unauthorized', 'missing credential');
      }
      const hash = hashApiKey(token);
      // Admin tokens name no plan; a plan called `admin` lets the quota config decide what they may spend.
      if (adminKeys.has(hash)) return { user: userNames.admin, plan: 'admin', kind: 'api_key', admin: true };
      const apiKey = apiKeys.get(hash);
      if (apiKey !== undefined) {
        return { user: userNames.apiKey(apiKey.user), plan: apiKey.plan, kind: 'api_key', admin: false };
      }
      if (verifyJwt !== undefined && jwtShape.test(token)) return verifyJwt(token);
      throw new GatewayError('unauthorized', 'invalid credential');
    },
  };
}
