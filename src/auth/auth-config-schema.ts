import { z } from 'zod';

const keyHashSchema = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" and 64 lowercase hex digits (see `sluice hash-key`)');

const nameSchema = z.string().min(1);

const anonymousSchema = z.strictObject({
  /** Whether a request without any credential is served, as `user` on `plan`. */
  enabled: z.boolean().default(false),
  user: nameSchema.default('anonymous'),
  plan: nameSchema.default('default'),
});

const apiKeySchema = z.strictObject({
  hash: keyHashSchema,
  user: nameSchema,
  plan: nameSchema.default('default'),
});

/** The signing algorithms Sluice accepts; `none` is deliberately absent. */
export const jwtAlgorithms = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

const isSymmetric = (algorithm: string) => algorithm.startsWith('HS');

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Over plain http anyone on the path could swap the keys and mint tokens; loopback is safe for tests. */
function isSecureKeySource(url: string): boolean {
  const parsed = URL.parse(url);
  // An unparseable address is reported by the url check itself.
  if (parsed === null) return true;
  return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && loopbackHosts.has(parsed.hostname));
}

const jwtSchema = z
  .strictObject({
    /** HS256 shared secret; RFC 7518 §3.2 asks for at least as many bytes as the hash output. */
    secret: z.string().min(32, 'must be at least 32 characters (RFC 7518 §3.2)').optional(),
    /** Where the issuer publishes its public keys; https, or http on a loopback host. */
    jwks_url: z.url().refine(isSecureKeySource, 'must use https (http only on a loopback host)').optional(),
    /** Checked against `iss` when set. */
    issuer: nameSchema.optional(),
    /** Checked against `aud` when set. */
    audience: nameSchema.optional(),
    user_claim: nameSchema.default('sub'),
    plan_claim: nameSchema.default('plan'),
    /**
     * Put before the user claim to make the user name; by default `jwt:<iss>:` (`jwt:` for a token
     * without `iss`). `key:` makes a subject the API-key user of that name, on purpose.
     */
    user_prefix: z
      .string()
      .regex(/^\S+:$/, 'must end with ":" and have no spaces, e.g. "key:" to make subjects API-key users')
      .optional(),
    /** Makes a JWT an admin (reads any user's usage) when its `claim` is the string `value`; absent by default. */
    admin_claim: z.strictObject({ claim: nameSchema, value: nameSchema }).optional(),
    /** The plan of a token without `plan_claim`. */
    default_plan: nameSchema.default('default'),
    /** Clock skew allowed on `exp` and `nbf`. */
    clock_tolerance_s: z.number().int().min(0).max(300).default(5),
    /** Default: HS256 with `secret`; RS256, ES256 and EdDSA with `jwks_url`. */
    algorithms: z.array(z.enum(jwtAlgorithms)).min(1).optional(),
  })
  .superRefine((jwt, context) => {
    if ((jwt.secret === undefined) === (jwt.jwks_url === undefined)) {
      const which = jwt.secret === undefined ? 'neither is set' : 'both are set';
      context.addIssue({ code: 'custom', message: `set exactly one of secret or jwks_url (${which})` });
      return;
    }
    // A symmetric algorithm against public keys (or the reverse) is the classic JWT confusion attack.
    const symmetricWanted = jwt.secret !== undefined;
    for (const [index, algorithm] of (jwt.algorithms ?? []).entries()) {
      if (isSymmetric(algorithm) !== symmetricWanted) {
        context.addIssue({
          code: 'custom',
          path: ['algorithms', index],
          message: symmetricWanted
            ? `${algorithm} needs jwks_url; with secret use HS256, HS384 or HS512`
            : `${algorithm} needs secret; with jwks_url use an asymmetric algorithm`,
        });
      }
    }
  });

/** The `auth:` block of the config: who may call Sluice, and on which plan. */
export const authConfigSchema = z
  .strictObject({
    anonymous: anonymousSchema.default(anonymousSchema.parse({})),
    api_keys: z.array(apiKeySchema).default([]),
    jwt: jwtSchema.optional(),
    /** Hashes of admin tokens, which may read any user's usage. */
    admin_keys: z.array(keyHashSchema).default([]),
  })
  .superRefine((auth, context) => {
    // One key naming two identities would make the identity depend on lookup order.
    const seen = new Map<string, string>();
    const entries = [
      ...auth.admin_keys.map((hash, index) => ({ hash, path: ['admin_keys', index] })),
      ...auth.api_keys.map((key, index) => ({ hash: key.hash, path: ['api_keys', index, 'hash'] })),
    ];
    for (const { hash, path } of entries) {
      const first = seen.get(hash);
      if (first === undefined) seen.set(hash, path.join('.'));
      else context.addIssue({ code: 'custom', path, message: `the same key hash is already at ${first}` });
    }
  });

export type AuthConfig = z.infer<typeof authConfigSchema>;
export type JwtConfig = z.infer<typeof jwtSchema>;
export type JwtAlgorithm = (typeof jwtAlgorithms)[number];
