import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { authConfigSchema } from '../../../src/auth/auth-config-schema.ts';
import { type Authenticator, createAuthenticator } from '../../../src/auth/create-authenticator.ts';
import { GatewayError } from '../../../src/errors/gateway-error.ts';
import { createTokenSigner, type FakeJwksServer, startFakeJwksServer } from '../../fakes/fake-jwks-server.ts';

function jwksAuthenticator(
  jwksUrl: string,
  options: Parameters<typeof createAuthenticator>[1] = {},
): Authenticator {
  const config = authConfigSchema.parse({
    jwt: { jwks_url: jwksUrl, issuer: 'https://issuer.example/', audience: 'sluice' },
  });
  return createAuthenticator(config, options);
}

const claims = { iss: 'https://issuer.example/', aud: 'sluice', sub: 'dana', plan: 'pro' };

async function assertRefused(
  authenticator: Authenticator,
  token: string,
  code: string,
  message: string,
): Promise<void> {
  await assert.rejects(authenticator.authenticate(token), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, code);
    assert.equal(error.message, message);
    assert.ok(!error.message.includes(token));
    return true;
  });
}

describe('createAuthenticator with a JWKS', () => {
  let issuer: FakeJwksServer;

  before(async () => {
    issuer = await startFakeJwksServer({ algorithm: 'ES256', kid: 'issuer-key' });
  });

  after(() => issuer.close());

  it('accepts a token signed by a published key, fetching the key set once', async () => {
    const authenticator = jwksAuthenticator(issuer.jwksUrl);
    const fetchesBefore = issuer.requests.length;
    const identity = await authenticator.authenticate(await issuer.sign(claims));
    assert.equal(identity.user, 'jwt:https://issuer.example/:dana');
    assert.equal(identity.plan, 'pro');
    assert.equal(identity.kind, 'jwt');
    assert.equal(typeof identity.expiresAt, 'number');
    assert.equal(
      (await authenticator.authenticate(await issuer.sign({ ...claims, sub: 'erin' }))).user,
      'jwt:https://issuer.example/:erin',
    );
    assert.equal(issuer.requests.length - fetchesBefore, 1);
  });

  it('accepts RS256 tokens by default too', async () => {
    const rsaIssuer = await startFakeJwksServer({ algorithm: 'RS256' });
    try {
      const identity = await jwksAuthenticator(rsaIssuer.jwksUrl).authenticate(await rsaIssuer.sign(claims));
      assert.equal(identity.user, 'jwt:https://issuer.example/:dana');
    } finally {
      await rsaIssuer.close();
    }
  });

  it('refuses a token signed by another key under the published key id', async () => {
    const forger = await createTokenSigner({ algorithm: 'ES256', kid: 'issuer-key' });
    await assertRefused(
      jwksAuthenticator(issuer.jwksUrl),
      await forger.sign(claims),
      'unauthorized',
      'invalid credential: bad signature',
    );
  });

  it('refuses a token signed by a key the issuer does not publish', async () => {
    const stranger = await createTokenSigner({ algorithm: 'ES256', kid: 'unknown-key' });
    await assertRefused(
      jwksAuthenticator(issuer.jwksUrl),
      await stranger.sign(claims),
      'unauthorized',
      'invalid credential: unknown signing key',
    );
  });

  it('refuses an HS256 token, so a public key can never serve as a shared secret', async () => {
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: 'issuer-key' })
      .sign(new TextEncoder().encode(JSON.stringify(issuer.signer.publicJwk)));
    await assertRefused(
      jwksAuthenticator(issuer.jwksUrl),
      token,
      'unauthorized',
      'invalid credential: signing algorithm not allowed',
    );
  });

  it('fetches the key set through the fetch it is given', async () => {
    const fetched: string[] = [];
    const authenticator = jwksAuthenticator(issuer.jwksUrl, {
      fetch: (url, init) => {
        fetched.push(url);
        return fetch(url, init);
      },
    });
    assert.equal(
      (await authenticator.authenticate(await issuer.sign(claims))).user,
      'jwt:https://issuer.example/:dana',
    );
    assert.deepEqual(fetched, [issuer.jwksUrl]);
  });

  it('answers unavailable, not unauthorized, when the key set cannot be fetched', async () => {
    const token = await issuer.sign(claims);
    const unreachable = jwksAuthenticator(issuer.jwksUrl, {
      fetch: () => Promise.reject(new TypeError('fetch failed')),
    });
    await assertRefused(
      unreachable,
      token,
      'unavailable',
      'cannot fetch the signing keys to check the credential',
    );
  });

  it('answers unavailable when the issuer answers with an error status', async () => {
    const brokenIssuer = await startFakeJwksServer();
    try {
      brokenIssuer.failWith(500);
      await assertRefused(
        jwksAuthenticator(brokenIssuer.jwksUrl),
        await brokenIssuer.sign(claims),
        'unavailable',
        'cannot fetch the signing keys to check the credential',
      );
    } finally {
      await brokenIssuer.close();
    }
  });
});
