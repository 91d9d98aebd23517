import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type JWTPayload, SignJWT } from 'jose';
import { authConfigSchema } from '../../../src/auth/auth-config-schema.ts';
import { type Authenticator, createAuthenticator } from '../../../src/auth/create-authenticator.ts';
import { hashApiKey } from '../../../src/auth/hash-api-key.ts';
import { isExpired } from '../../../src/auth/identity.ts';
import { GatewayError } from '../../../src/errors/gateway-error.ts';

const secret = 'a-shared-secret-of-at-least-32-characters';
const nowSeconds = () => Math.floor(Date.now() / 1000);

function authenticatorFor(raw: unknown): Authenticator {
  return createAuthenticator(authConfigSchema.parse(raw));
}

const keysOnly = authenticatorFor({
  api_keys: [
    { hash: hashApiKey('alice-key'), user: 'alice', plan: 'pro' },
    { hash: hashApiKey('bob-key'), user: 'bob' },
  ],
  admin_keys: [hashApiKey('admin-key')],
});

/** An HS-signed JWT with `exp` in five minutes unless the claims set it. */
function signHs(claims: JWTPayload, { key = secret, algorithm = 'HS256' } = {}): Promise<string> {
  return new SignJWT({ exp: nowSeconds() + 300, ...claims })
    .setProtectedHeader({ alg: algorithm })
    .sign(new TextEncoder().encode(key));
}

/** Asserts that authenticating `token` is refused with `code` and a message matching `message` that does not carry the token. */
async function assertRefused(
  authenticator: Authenticator,
  token: string | undefined,
  message: RegExp | string,
  code = 'unauthorized',
): Promise<void> {
  await assert.rejects(authenticator.authenticate(token), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, code);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    if (token) {
      assert.ok(!error.message.includes(token), 'the message must not carry the token');
      assert.ok(!String(error.stack).includes(token), 'the stack must not carry the token');
      assert.equal(error.cause, undefined);
    }
    return true;
  });
}

describe('createAuthenticator with API keys', () => {
  it('gives a listed key its user, in the key: namespace, and its plan', async () => {
    assert.deepEqual(await keysOnly.authenticate('alice-key'), {
      user: 'key:alice',
      plan: 'pro',
      kind: 'api_key',
      admin: false,
    });
    assert.equal((await keysOnly.authenticate('bob-key')).plan, 'default');
  });

  it('refuses an unknown key as an invalid credential without naming it', async () => {
    await assertRefused(keysOnly, 'sk-sluice-unknown-key', 'invalid credential');
    await assertRefused(keysOnly, '', 'invalid credential');
  });

  it('makes an admin key the admin user, marked admin', async () => {
    assert.deepEqual(await keysOnly.authenticate('admin-key'), {
      user: 'admin',
      plan: 'admin',
      kind: 'api_key',
      admin: true,
    });
  });

  it('refuses a request without a credential when anonymous access is off', async () => {
    await assertRefused(keysOnly, undefined, 'missing credential');
  });

  it('serves a request without a credential as the configured anonymous user when anonymous access is on', async () => {
    const open = authenticatorFor({ anonymous: { enabled: true, user: 'guest', plan: 'trial' } });
    assert.deepEqual(await open.authenticate(undefined), {
      user: 'anonymous:guest',
      plan: 'trial',
      kind: 'anonymous',
      admin: false,
    });
  });

  it('still refuses a wrong credential when anonymous access is on', async () => {
    const open = authenticatorFor({ anonymous: { enabled: true } });
    await assertRefused(open, 'not-a-key', 'invalid credential');
  });

  it('refuses a JWT when no jwt block is configured', async () => {
    await assertRefused(keysOnly, await signHs({ sub: 'alice' }), 'invalid credential');
  });
});

describe('createAuthenticator with HS256 JWTs', () => {
  const jwtAuthenticator = authenticatorFor({
    jwt: { secret, issuer: 'https://issuer.example/', audience: 'sluice', default_plan: 'free' },
  });
  const validClaims = { iss: 'https://issuer.example/', aud: 'sluice' };

  it('takes the user from sub under its issuer, the plan from the plan claim, and keeps exp as expiresAt', async () => {
    const exp = nowSeconds() + 600;
    const token = await signHs({ ...validClaims, sub: 'alice', plan: 'pro', exp });
    assert.deepEqual(await jwtAuthenticator.authenticate(token), {
      user: 'jwt:https://issuer.example/:alice',
      plan: 'pro',
      kind: 'jwt',
      admin: false,
      expiresAt: exp * 1000,
    });
  });

  it('puts a token without the plan claim on the default plan', async () => {
    const identity = await jwtAuthenticator.authenticate(await signHs({ ...validClaims, sub: 'alice' }));
    assert.equal(identity.plan, 'free');
  });

  it('reads the user and plan from the configured claims', async () => {
    const custom = authenticatorFor({ jwt: { secret, user_claim: 'email', plan_claim: 'tier' } });
    const token = await signHs({ sub: 'id-123', email: 'carol@example.com', tier: 'team', plan: 'ignored' });
    const identity = await custom.authenticate(token);
    assert.equal(identity.user, 'jwt:carol@example.com');
    assert.equal(identity.plan, 'team');
  });

  it('accepts a token without exp, which then never expires', async () => {
    const token = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(secret));
    const identity = await authenticatorFor({ jwt: { secret } }).authenticate(token);
    assert.equal(identity.expiresAt, undefined);
    assert.equal(isExpired(identity), false);
  });

  it('refuses a token signed with another secret', async () => {
    const token = await signHs(
      { ...validClaims, sub: 'alice' },
      { key: 'another-secret-of-at-least-32-characters' },
    );
    await assertRefused(jwtAuthenticator, token, 'invalid credential: bad signature');
  });

  it('refuses a token from another issuer', async () => {
    const token = await signHs({ ...validClaims, iss: 'https://evil.example/', sub: 'alice' });
    await assertRefused(jwtAuthenticator, token, 'invalid credential: the "iss" claim is not accepted');
  });

  it('refuses a token for another audience', async () => {
    const token = await signHs({ ...validClaims, aud: 'someone-else', sub: 'alice' });
    await assertRefused(jwtAuthenticator, token, 'invalid credential: the "aud" claim is not accepted');
  });

  it('refuses a token without the configured issuer', async () => {
    const token = await signHs({ aud: 'sluice', sub: 'alice' });
    await assertRefused(jwtAuthenticator, token, 'invalid credential: the "iss" claim is missing');
  });

  it('refuses a token that expired longer ago than the clock tolerance', async () => {
    const token = await signHs({ ...validClaims, sub: 'alice', exp: nowSeconds() - 60 });
    await assertRefused(jwtAuthenticator, token, 'credential expired');
  });

  it('accepts a token that expired within the clock tolerance, already marked expired', async () => {
    const tolerant = authenticatorFor({ jwt: { secret, clock_tolerance_s: 120 } });
    const identity = await tolerant.authenticate(await signHs({ sub: 'alice', exp: nowSeconds() - 60 }));
    assert.equal(identity.user, 'jwt:alice');
    assert.equal(isExpired(identity), true);
  });

  it('refuses a token that is not valid yet', async () => {
    const token = await signHs({ ...validClaims, sub: 'alice', nbf: nowSeconds() + 600 });
    await assertRefused(jwtAuthenticator, token, 'invalid credential: the "nbf" claim is not accepted');
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ ...validClaims, sub: 'admin', exp: nowSeconds() + 60 })}.`;
    await assertRefused(jwtAuthenticator, unsigned, 'invalid credential: signing algorithm not allowed');
  });

  it('refuses a token signed with an algorithm outside the allowed list', async () => {
    const token = await signHs({ ...validClaims, sub: 'alice' }, { algorithm: 'HS512' });
    await assertRefused(jwtAuthenticator, token, 'invalid credential: signing algorithm not allowed');
  });

  it('refuses a token without the user claim', async () => {
    const token = await signHs({ ...validClaims, plan: 'pro' });
    await assertRefused(jwtAuthenticator, token, 'invalid credential: the "sub" claim is missing');
  });

  it('refuses a token whose user or plan claim is not a non-empty string', async () => {
    await assertRefused(
      jwtAuthenticator,
      await signHs({ ...validClaims, sub: '' }),
      'invalid credential: the "sub" claim is not a non-empty string',
    );
    const custom = authenticatorFor({ jwt: { secret, user_claim: 'uid' } });
    await assertRefused(
      custom,
      await signHs({ uid: 42 }),
      'invalid credential: the "uid" claim is not a non-empty string',
    );
    await assertRefused(
      jwtAuthenticator,
      await signHs({ ...validClaims, sub: 'alice', plan: ['pro'] }),
      'invalid credential: the "plan" claim is not a non-empty string',
    );
  });

  it('refuses a token that only looks like a JWT', async () => {
    await assertRefused(jwtAuthenticator, 'abc.def.ghi', /^invalid credential/);
  });

  it('checks listed API keys before JWTs', async () => {
    const token = await signHs({ sub: 'alice' }, { key: 'not-the-configured-secret-but-32-chars' });
    const both = authenticatorFor({
      jwt: { secret },
      api_keys: [{ hash: hashApiKey(token), user: 'service' }],
    });
    assert.equal((await both.authenticate(token)).user, 'key:service');
  });
});

describe('createAuthenticator: user names by credential kind', () => {
  const mixed = authenticatorFor({
    api_keys: [{ hash: hashApiKey('alice-key'), user: 'alice' }],
    admin_keys: [hashApiKey('admin-key')],
    anonymous: { enabled: true, user: 'alice' },
    jwt: { secret },
  });

  it('gives the same name under each credential kind a different user', async () => {
    const users = [
      (await mixed.authenticate('alice-key')).user,
      (await mixed.authenticate(await signHs({ sub: 'alice' }))).user,
      (await mixed.authenticate(await signHs({ sub: 'alice', iss: 'https://issuer.example/' }))).user,
      (await mixed.authenticate(undefined)).user,
    ];
    assert.deepEqual(users, [
      'key:alice',
      'jwt:alice',
      'jwt:https://issuer.example/:alice',
      'anonymous:alice',
    ]);
  });

  it('keeps a JWT subject that carries another prefix inside the JWT namespace', async () => {
    assert.equal((await mixed.authenticate(await signHs({ sub: 'key:alice' }))).user, 'jwt:key:alice');
  });

  it('makes admin only an admin key: a JWT with sub admin is an ordinary user', async () => {
    const admin = await mixed.authenticate('admin-key');
    assert.deepEqual([admin.user, admin.admin], ['admin', true]);
    const namedAdmin = await mixed.authenticate(await signHs({ sub: 'admin', plan: 'admin' }));
    assert.deepEqual([namedAdmin.user, namedAdmin.admin], ['jwt:admin', false]);
  });

  it('puts JWT subjects after user_prefix when one is set, so key: maps them onto API-key users', async () => {
    const mapped = authenticatorFor({
      api_keys: [{ hash: hashApiKey('alice-key'), user: 'alice' }],
      jwt: { secret, user_prefix: 'key:' },
    });
    const fromToken = await mapped.authenticate(
      await signHs({ sub: 'alice', iss: 'https://issuer.example/' }),
    );
    assert.equal(fromToken.user, (await mapped.authenticate('alice-key')).user);
    assert.equal(fromToken.kind, 'jwt');
  });

  it('makes a JWT admin, on plan admin, only when its admin claim is exactly the configured value', async () => {
    const withClaim = authenticatorFor({
      jwt: { secret, admin_claim: { claim: 'role', value: 'operator' } },
    });
    const operator = await withClaim.authenticate(
      await signHs({ sub: 'ops', role: 'operator', plan: 'pro' }),
    );
    assert.deepEqual([operator.user, operator.admin, operator.plan], ['jwt:ops', true, 'admin']);
    for (const role of ['Operator', ['operator'], undefined]) {
      const other = await withClaim.authenticate(await signHs({ sub: 'ops', role, plan: 'pro' }));
      assert.deepEqual([other.admin, other.plan], [false, 'pro']);
    }
    const without = await authenticatorFor({ jwt: { secret } }).authenticate(
      await signHs({ sub: 'ops', role: 'operator' }),
    );
    assert.equal(without.admin, false);
  });

  it('reads only claims the token has, never ones every object inherits', async () => {
    const odd = authenticatorFor({
      jwt: { secret, user_claim: 'constructor', admin_claim: { claim: 'toString', value: 'x' } },
    });
    await assertRefused(
      odd,
      await signHs({ sub: 'alice' }),
      'invalid credential: the "constructor" claim is missing',
    );
    const named = await odd.authenticate(await signHs({ constructor: 'alice' }));
    assert.deepEqual([named.user, named.admin], ['jwt:alice', false]);
  });
});

describe('isExpired', () => {
  it('is false before expiresAt, true from it on, and false for identities without one', () => {
    const identity = { user: 'alice', plan: 'pro', kind: 'jwt' as const, admin: false, expiresAt: 10_000 };
    assert.equal(isExpired(identity, 9_999), false);
    assert.equal(isExpired(identity, 10_000), true);
    assert.equal(isExpired({ user: 'bob', plan: 'default', kind: 'api_key', admin: false }, 10_000), false);
  });
});
