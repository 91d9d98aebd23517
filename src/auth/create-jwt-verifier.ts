import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { GatewayError } from '../errors/gateway-error.ts';
import type { JwtAlgorithm, JwtConfig } from './auth-config-schema.ts';
import type { Identity } from './identity.ts';
import { userNames } from './user-names.ts';

const defaultSymmetricAlgorithms: JwtAlgorithm[] = ['HS256'];
const defaultAsymmetricAlgorithms: JwtAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];

export interface JwtVerifierOptions {
  /** Fetches the JWKS; the global fetch by default. */
  fetch?: FetchImplementation;
}

/** Checks a JWT and turns its claims into an identity; rejects with a GatewayError. */
export type JwtVerifier = (token: string) => Promise<Identity>;

const unauthorized = (message: string) => new GatewayError('unauthorized', message);

/**
 * The refusal for a failed verification. Messages are built here, never copied from jose, so
 * they cannot carry the token or its claims' values; no `cause` either, as it holds the payload.
 */
function refusalFor(error: unknown): GatewayError {
  if (error instanceof errors.JWTExpired) return unauthorized('credential expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    const problem = error.reason === 'missing' ? 'is missing' : 'is not accepted';
    return unauthorized(`invalid credential: the "${error.claim}" claim ${problem}`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return unauthorized('invalid credential: bad signature');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return unauthorized('invalid credential: signing algorithm not allowed');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return unauthorized('invalid credential: unknown signing key');
  }
  // The key set could not be fetched or read: the token may be fine, so this is our outage, not a 401.
  const keySetFailure =
    !(error instanceof errors.JOSEError) ||
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    error.code === 'ERR_JOSE_GENERIC';
  if (keySetFailure) {
    return new GatewayError('unavailable', 'cannot fetch the signing keys to check the credential', {
      retryable: true,
    });
  }
  return unauthorized('invalid credential');
}

/** The claim's value when it is a non-empty string; `undefined` when absent; a refusal otherwise. */
function stringClaim(payload: JWTPayload, claim: string): string | undefined {
  // Own claims only: a claim named like `constructor` must not read the prototype's.
  const value = Object.hasOwn(payload, claim) ? payload[claim] : undefined;
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value !== '') return value;
  throw unauthorized(`invalid credential: the "${claim}" claim is not a non-empty string`);
}

/** Whether the claim is exactly the string `value`; any other value (or none) is simply not a match. */
function claimEquals(payload: JWTPayload, claim: string, value: string): boolean {
  return Object.hasOwn(payload, claim) && payload[claim] === value;
}

/** Creates a verifier for JWTs signed with the configured HS secret or by a key in the JWKS. */
export function createJwtVerifier(config: JwtConfig, options: JwtVerifierOptions = {}): JwtVerifier {
  let key: Uint8Array | JWTVerifyGetKey;
  if (config.secret !== undefined) {
    key = new TextEncoder().encode(config.secret);
  } else {
    const fetchOption = options.fetch === undefined ? {} : { [customFetch]: options.fetch };
    key = createRemoteJWKSet(new URL(config.jwks_url!), fetchOption);
  }
  const verifyOptions = {
    algorithms:
      config.algorithms ??
      (config.secret === undefined ? defaultAsymmetricAlgorithms : defaultSymmetricAlgorithms),
    clockTolerance: config.clock_tolerance_s,
    ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    ...(config.audience === undefined ? {} : { audience: config.audience }),
  };

  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, verifyOptions));
    } catch (error) {
      throw refusalFor(error);
    }
    const subject = stringClaim(payload, config.user_claim);
    if (subject === undefined) {
      throw unauthorized(`invalid credential: the "${config.user_claim}" claim is missing`);
    }
    const prefix = config.user_prefix ?? userNames.jwtPrefix(stringClaim(payload, 'iss'));
    const plan = stringClaim(payload, config.plan_claim) ?? config.default_plan;
    const identity: Identity = { user: `${prefix}${subject}`, plan, kind: 'jwt', admin: false };
    const { admin_claim: adminClaim } = config;
    // Admins name no plan, as with admin keys: a plan called `admin` decides what they may spend.
    if (adminClaim !== undefined && claimEquals(payload, adminClaim.claim, adminClaim.value)) {
      identity.admin = true;
      identity.plan = 'admin';
    }
    if (payload.exp !== undefined) identity.expiresAt = payload.exp * 1000;
    return identity;
  };
}
