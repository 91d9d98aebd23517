import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authConfigSchema } from '../../../src/auth/auth-config-schema.ts';
import { hashApiKey } from '../../../src/auth/hash-api-key.ts';

const secret = 'a-shared-secret-of-at-least-32-characters';

/** Each problem as "path: message", the way the config loader prints them. */
function problems(raw: unknown): string[] {
  const result = authConfigSchema.safeParse(raw);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('authConfigSchema', () => {
  it('refuses anonymous callers and knows no keys when the block is empty', () => {
    assert.deepEqual(authConfigSchema.parse({}), {
      anonymous: { enabled: false, user: 'anonymous', plan: 'default' },
      api_keys: [],
      admin_keys: [],
    });
  });

  it('fills the JWT claim names, default plan and clock tolerance', () => {
    const config = authConfigSchema.parse({
      anonymous: { enabled: true },
      api_keys: [{ hash: hashApiKey('alice-key'), user: 'alice', plan: 'pro' }],
      jwt: { secret },
      admin_keys: [hashApiKey('admin-key')],
    });
    assert.deepEqual(config.jwt, {
      secret,
      user_claim: 'sub',
      plan_claim: 'plan',
      default_plan: 'default',
      clock_tolerance_s: 5,
    });
    assert.equal(config.anonymous.enabled, true);
    assert.equal(config.api_keys[0]?.plan, 'pro');
  });

  it('gives an API key the default plan when it names none', () => {
    const config = authConfigSchema.parse({ api_keys: [{ hash: hashApiKey('k'), user: 'bob' }] });
    assert.equal(config.api_keys[0]?.plan, 'default');
  });

  it('accepts only "sha256:" and 64 lowercase hex digits as a key hash', () => {
    const upper = hashApiKey('k').toUpperCase().replace('SHA256', 'sha256');
    const raw = {
      api_keys: [
        { hash: upper, user: 'a' },
        { hash: hashApiKey('k').slice(7), user: 'b' },
        { hash: 'sk-sluice-plain-key', user: 'c' },
      ],
      admin_keys: [hashApiKey('k').slice(0, -1)],
    };
    const found = problems(raw);
    assert.equal(found.length, 4);
    for (const path of ['api_keys.0.hash', 'api_keys.1.hash', 'api_keys.2.hash', 'admin_keys.0']) {
      assert.ok(
        found.some((problem) => problem.startsWith(`${path}: must be "sha256:" and 64 lowercase hex digits`)),
        path,
      );
    }
  });

  it('refuses a key hash listed twice, naming where it first appeared', () => {
    const hash = hashApiKey('shared');
    assert.deepEqual(problems({ admin_keys: [hash], api_keys: [{ hash, user: 'alice' }] }), [
      'api_keys.0.hash: the same key hash is already at admin_keys.0',
    ]);
  });

  it('wants exactly one of secret and jwks_url in a jwt block', () => {
    assert.deepEqual(problems({ jwt: {} }), ['jwt: set exactly one of secret or jwks_url (neither is set)']);
    assert.deepEqual(problems({ jwt: { secret, jwks_url: 'https://issuer.example/jwks.json' } }), [
      'jwt: set exactly one of secret or jwks_url (both are set)',
    ]);
  });

  it('refuses a shared secret shorter than 32 characters', () => {
    assert.deepEqual(problems({ jwt: { secret: 'short' } }), [
      'jwt.secret: must be at least 32 characters (RFC 7518 §3.2)',
    ]);
  });

  it('fetches keys over https, allowing plain http only on a loopback host', () => {
    assert.deepEqual(problems({ jwt: { jwks_url: 'https://issuer.example/.well-known/jwks.json' } }), []);
    assert.deepEqual(problems({ jwt: { jwks_url: 'http://127.0.0.1:8080/jwks.json' } }), []);
    assert.deepEqual(problems({ jwt: { jwks_url: 'http://localhost/jwks.json' } }), []);
    assert.deepEqual(problems({ jwt: { jwks_url: 'http://issuer.example/jwks.json' } }), [
      'jwt.jwks_url: must use https (http only on a loopback host)',
    ]);
    assert.equal(problems({ jwt: { jwks_url: 'ftp://issuer.example/jwks.json' } }).length, 1);
  });

  it('refuses algorithms that do not fit the key source, and the "none" algorithm', () => {
    assert.deepEqual(problems({ jwt: { secret, algorithms: ['HS256', 'RS256'] } }), [
      'jwt.algorithms.1: RS256 needs jwks_url; with secret use HS256, HS384 or HS512',
    ]);
    assert.deepEqual(problems({ jwt: { jwks_url: 'https://issuer.example/jwks', algorithms: ['HS256'] } }), [
      'jwt.algorithms.0: HS256 needs secret; with jwks_url use an asymmetric algorithm',
    ]);
    const none = problems({ jwt: { secret, algorithms: ['none'] } });
    assert.equal(none.length, 1);
    assert.match(none[0]!, /^jwt\.algorithms\.0: /);
  });

  it('takes a JWT user_prefix only as a namespace: ending in ":", without spaces', () => {
    assert.deepEqual(problems({ jwt: { secret, user_prefix: 'key:' } }), []);
    const message = 'must end with ":" and have no spaces, e.g. "key:" to make subjects API-key users';
    for (const prefix of ['', ':', 'key', 'my key:']) {
      assert.deepEqual(problems({ jwt: { secret, user_prefix: prefix } }), [`jwt.user_prefix: ${message}`]);
    }
  });

  it('takes a JWT admin_claim only as a claim name and a non-empty value', () => {
    assert.deepEqual(problems({ jwt: { secret, admin_claim: { claim: 'role', value: 'operator' } } }), []);
    assert.equal(problems({ jwt: { secret, admin_claim: { claim: 'role' } } }).length, 1);
    assert.equal(problems({ jwt: { secret, admin_claim: { claim: 'role', value: '' } } }).length, 1);
    assert.equal(
      problems({ jwt: { secret, admin_claim: { claim: 'role', value: ['operator'] } } }).length,
      1,
    );
  });

  it('refuses fields it does not know', () => {
    assert.equal(problems({ api_key: [] }).length, 1);
    assert.equal(problems({ jwt: { secret, user_clam: 'email' } }).length, 1);
  });
});
