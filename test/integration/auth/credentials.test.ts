import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { hashApiKey } from '../../../src/auth/hash-api-key.ts';
import { type FakeJwksServer, startFakeJwksServer } from '../../fakes/fake-jwks-server.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { until } from '../../helpers/until.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

const aliceKey = 'sk-sluice-alice-secret-key-0001';
const adminKey = 'sk-sluice-admin-secret-key-0002';
const jwtSecret = 'a-shared-hs256-secret-of-at-least-32-chars';
const hello = [{ role: 'user', content: 'Hi' }];

/** The HTTP status a refused upgrade answered with, or that the connection closed without one. */
function upgradeStatus(
  url: string,
  options: { headers?: Record<string, string>; protocols?: string[] } = {},
) {
  return new Promise<number | 'closed without an answer'>((resolve, reject) => {
    const socket = new WebSocket(url, options.protocols ?? ['sluice.v1'], { headers: options.headers });
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('open', () => reject(new Error('the upgrade was accepted')));
    socket.on('error', () => resolve('closed without an answer'));
  });
}

/** TCP connections the server holds, by Node's count. */
function openServerConnections(sluice: TestSluice) {
  return new Promise<number>((resolve, reject) =>
    sluice.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

function signHs256(claims: Record<string, unknown>, expiresAt = Math.floor(Date.now() / 1000) + 300) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresAt)
    .setIssuer('https://issuer.test/')
    .setAudience('sluice')
    .sign(new TextEncoder().encode(jwtSecret));
}

describe('identity: credentials on the WebSocket door', () => {
  let sluice: TestSluice;
  let jwks: FakeJwksServer;
  let jwksSluice: TestSluice;
  before(async () => {
    sluice = await startTestSluice({
      server: { allowed_origins: ['https://chat.example'] },
      auth: {
        api_keys: [{ hash: hashApiKey(aliceKey), user: 'alice', plan: 'pro' }],
        admin_keys: [hashApiKey(adminKey)],
        jwt: {
          secret: jwtSecret,
          issuer: 'https://issuer.test/',
          audience: 'sluice',
          user_claim: 'email',
          plan_claim: 'tier',
        },
      },
      plans: { default: {}, pro: { tokens_per_day: 1000 }, team: {} },
    });
    jwks = await startFakeJwksServer();
    jwksSluice = await startTestSluice({ auth: { jwt: { jwks_url: jwks.jwksUrl } } });
  });
  after(async () => {
    await sluice.close();
    await jwksSluice.close();
    await jwks.close();
  });

  it('accepts an API key in the Authorization header, as its key: user and plan', async () => {
    const client = await connectTestClient(sluice.wsUrl, 'sluice.v1', {
      headers: { authorization: `Bearer ${aliceKey}` },
    });
    const ready = await client.next();
    assert.equal(ready.user, 'key:alice');
    assert.equal((ready.limits as { plan: string }).plan, 'pro');
    client.send({ type: 'chat', id: 'a', model: 'demo', messages: hello });
    assert.equal((await client.collect('a')).at(-1)?.type, 'done');
    await client.close();
  });

  it('accepts an API key offered as a bearer. subprotocol, and selects only sluice.v1', async () => {
    const client = await connectTestClient(sluice.wsUrl, ['sluice.v1', `bearer.${aliceKey}`]);
    assert.equal(client.socket.protocol, 'sluice.v1');
    assert.equal((await client.next()).user, 'key:alice');
    await client.close();
  });

  it('accepts an API key in the access_token query', async () => {
    const client = await connectTestClient(`${sluice.wsUrl}?access_token=${aliceKey}`);
    assert.equal((await client.next()).user, 'key:alice');
    await client.close();
  });

  it('accepts an HS256 JWT, the user (under its issuer) and plan from the configured claims', async () => {
    const token = await signHs256({ email: 'bob@example.test', tier: 'team' });
    const client = await connectTestClient(sluice.wsUrl, ['sluice.v1', `bearer.${token}`]);
    const ready = await client.next();
    assert.equal(ready.user, 'jwt:https://issuer.test/:bob@example.test');
    assert.equal((ready.limits as { plan: string }).plan, 'team');
    await client.close();
  });

  it("accepts a JWT signed by a key from the issuer's JWKS", async () => {
    const token = await jwks.sign({ sub: 'carol' });
    const client = await connectTestClient(jwksSluice.wsUrl, 'sluice.v1', {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal((await client.next()).user, 'jwt:carol');
    await client.close();
  });

  it('refuses a missing, unknown, malformed or expired credential with 401 before the upgrade', async () => {
    assert.equal(await upgradeStatus(sluice.wsUrl), 401);
    assert.equal(
      await upgradeStatus(sluice.wsUrl, { headers: { authorization: 'Bearer sk-sluice-nobody' } }),
      401,
    );
    assert.equal(await upgradeStatus(sluice.wsUrl, { headers: { authorization: `Basic ${aliceKey}` } }), 401);
    const expired = await signHs256({ email: 'bob@example.test' }, Math.floor(Date.now() / 1000) - 3600);
    assert.equal(await upgradeStatus(sluice.wsUrl, { protocols: ['sluice.v1', `bearer.${expired}`] }), 401);
    const wrongAudience = await new SignJWT({ email: 'x@example.test' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://issuer.test/')
      .setAudience('someone-else')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(jwtSecret));
    assert.equal(
      await upgradeStatus(sluice.wsUrl, { protocols: ['sluice.v1', `bearer.${wrongAudience}`] }),
      401,
    );
  });

  it('refuses a browser Origin outside allowed_origins with 403', async () => {
    const headers = { authorization: `Bearer ${aliceKey}`, origin: 'https://evil.example' };
    assert.equal(await upgradeStatus(sluice.wsUrl, { headers }), 403);
    const allowed = await connectTestClient(sluice.wsUrl, 'sluice.v1', {
      headers: { authorization: `Bearer ${aliceKey}`, origin: 'https://chat.example' },
    });
    assert.equal((await allowed.next()).type, 'ready');
    await allowed.close();
  });

  it('answers new requests with unauthorized once the JWT of an open connection has expired', async () => {
    // Expired a second ago but inside the five-second clock tolerance: accepted at the handshake.
    const token = await signHs256({ email: 'dave@example.test' }, Math.floor(Date.now() / 1000) - 1);
    const client = await connectTestClient(sluice.wsUrl, ['sluice.v1', `bearer.${token}`]);
    assert.equal((await client.next()).user, 'jwt:https://issuer.test/:dave@example.test');
    client.send({ type: 'chat', id: 'late', model: 'demo', messages: hello });
    const refused = (await client.collect('late')).at(-1)!;
    assert.equal(refused.code, 'unauthorized');
    assert.equal(refused.message, 'credential expired');
    await client.close();
  });

  it('never writes a key or token to the log', async () => {
    const token = await signHs256({ email: 'erin@example.test' });
    const clients = [
      await connectTestClient(sluice.wsUrl, 'sluice.v1', {
        headers: { authorization: `Bearer ${aliceKey}` },
      }),
      await connectTestClient(`${sluice.wsUrl}?access_token=${adminKey}`),
      await connectTestClient(sluice.wsUrl, ['sluice.v1', `bearer.${token}`]),
    ];
    for (const [index, client] of clients.entries()) {
      client.send({ type: 'chat', id: `l${index}`, model: 'demo', messages: hello });
      await client.collect(`l${index}`);
      await client.close();
    }
    await upgradeStatus(sluice.wsUrl, { headers: { authorization: 'Bearer sk-sluice-wrong-key-in-log' } });
    const log = sluice.rawLog();
    assert.ok(log.includes('request end'), 'the log has request lines to look through');
    for (const secret of [aliceKey, adminKey, token, 'sk-sluice-wrong-key-in-log', jwtSecret]) {
      assert.equal(log.includes(secret), false, 'a secret reached the log');
    }
  });
});

describe('identity: anonymous access and per-address limits', () => {
  it('serves anonymous users on loopback when the config says nothing about auth', async () => {
    const sluice = await startTestSluice();
    try {
      const client = await connectTestClient(sluice.wsUrl);
      assert.equal((await client.next()).user, 'anonymous:anonymous');
      await client.close();
    } finally {
      await sluice.close();
    }
  });

  it('refuses anonymous users when an auth block leaves anonymous access off', async () => {
    const sluice = await startTestSluice({ auth: { api_keys: [] } });
    try {
      assert.equal(await upgradeStatus(sluice.wsUrl), 401);
    } finally {
      await sluice.close();
    }
  });

  it('refuses handshakes from one address past the per-minute limit with 429', async () => {
    const sluice = await startTestSluice({ server: { per_ip: { handshakes_per_minute: 3 } } });
    try {
      for (let index = 0; index < 3; index++) {
        const client = await connectTestClient(sluice.wsUrl);
        await client.close();
      }
      assert.equal(await upgradeStatus(sluice.wsUrl), 429);
    } finally {
      await sluice.close();
    }
  });

  it('closes connections from one address past its open-connection limit before any handshake', async () => {
    const sluice = await startTestSluice({ server: { per_ip: { max_connections: 2 } } });
    try {
      const open = [await connectTestClient(sluice.wsUrl), await connectTestClient(sluice.wsUrl)];
      assert.equal(await upgradeStatus(sluice.wsUrl), 'closed without an answer');
      await open[0]!.close();
      // The server counts the closed connection out once its own side of the socket has closed.
      await until(async () => (await openServerConnections(sluice)) === 1);
      const again = await connectTestClient(sluice.wsUrl);
      await Promise.all([again.close(), open[1]!.close()]);
    } finally {
      await sluice.close();
    }
  });
});
