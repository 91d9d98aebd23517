import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { hashApiKey } from '../../../src/auth/hash-api-key.ts';
import { type GatedOpenAiUpstream, startGatedOpenAiUpstream } from '../../fakes/gated-openai-upstream.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient, type TestClient } from '../../helpers/ws-test-client.ts';

const jwtSecret = 'a-shared-hs256-secret-of-at-least-32-chars';
const issuer = 'https://issuer.test/';
const aliceKey = 'sk-sluice-alice-namespace-key-0001';
const adminKey = 'sk-sluice-admin-namespace-key-0002';
const hello = [{ role: 'user', content: 'Hi' }];

function signJwt(claims: Record<string, unknown>) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(issuer)
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(jwtSecret));
}

const connectWith = (wsUrl: string, token: string) =>
  connectTestClient(wsUrl, ['sluice.v1', `bearer.${token}`]);

/** Runs `count` requests to the demo model to the end on one connection. */
async function chat(client: TestClient, prefix: string, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    client.send({ type: 'chat', id: `${prefix}${index}`, model: 'demo', messages: hello });
    assert.equal((await client.collect(`${prefix}${index}`)).at(-1)?.type, 'done');
  }
}

/** The status of one non-streaming chat completion over HTTP, and its error code when refused. */
async function httpChat(url: string, token: string): Promise<[number, string | undefined]> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'demo', messages: hello }),
  });
  const body = (await response.json()) as { error?: { code: string } };
  return [response.status, body.error?.code];
}

interface UsageBody {
  user: string | null;
  usage: Array<{ user?: string; requests: number }>;
  error?: { code: string };
}

async function readUsage(url: string, token: string, query = ''): Promise<[number, UsageBody]> {
  const response = await fetch(`${url}/v1/usage${query}`, { headers: { authorization: `Bearer ${token}` } });
  return [response.status, (await response.json()) as UsageBody];
}

const requestsIn = (body: UsageBody) => body.usage.reduce((total, row) => total + row.requests, 0);

describe('identity: the same name under two credential kinds is two users', () => {
  let upstream: GatedOpenAiUpstream;
  let sluice: TestSluice;
  before(async () => {
    upstream = await startGatedOpenAiUpstream({ words: ['one', ' two', ' three'], beforeGate: 1 });
    sluice = await startTestSluice({
      providers: { gated: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { gated: { target: { provider: 'gated', model: 'gated-1' }, coalesce: false } },
      auth: {
        api_keys: [{ hash: hashApiKey(aliceKey), user: 'alice', plan: 'default' }],
        admin_keys: [hashApiKey(adminKey)],
        jwt: { secret: jwtSecret, issuer },
      },
      resume: { grace_ms: 60_000 },
    });
  });
  afterEach(() => upstream.close());
  after(async () => {
    await sluice.close();
    await upstream.stop();
  });

  it("names each kind's user in ready: key:alice for the API key, jwt:<issuer>:alice for the JWT", async () => {
    const byKey = await connectWith(sluice.wsUrl, aliceKey);
    const byJwt = await connectWith(sluice.wsUrl, await signJwt({ sub: 'alice' }));
    assert.equal((await byKey.next()).user, 'key:alice');
    assert.equal((await byJwt.next()).user, `jwt:${issuer}:alice`);
    await Promise.all([byKey.close(), byJwt.close()]);
  });

  it("refuses a JWT alice's resume of API-key alice's stream with not_found, and her stream runs on whole", async () => {
    const keyAlice = await connectWith(sluice.wsUrl, aliceKey);
    keyAlice.send({ type: 'chat', id: 'mine', model: 'gated', messages: hello });
    await keyAlice.next((event) => event.id === 'mine' && event.type === 'delta');
    const jwtAlice = await connectWith(sluice.wsUrl, await signJwt({ sub: 'alice' }));
    jwtAlice.send({ type: 'resume', id: 'mine', after_seq: 0 });
    const answer = await jwtAlice.next((event) => event.id === 'mine');
    assert.deepEqual([answer.type, answer.code], ['error', 'not_found']);
    upstream.open();
    const rest = await keyAlice.collect('mine');
    assert.equal(rest.at(-1)?.type, 'done');
    assert.equal(rest.at(-1)?.finish_reason, 'stop');
    assert.equal(jwtAlice.events.filter((event) => event.id === 'mine').length, 1, 'nothing of the stream');
    await Promise.all([keyAlice.close(), jwtAlice.close()]);
  });

  it("shows a JWT with sub admin only its own usage, never the admin key's, and refuses it ?user=", async () => {
    const admin = await connectWith(sluice.wsUrl, adminKey);
    await chat(admin, 'a', 2);
    await admin.close();
    const jwtAdminToken = await signJwt({ sub: 'admin' });
    const jwtAdmin = await connectWith(sluice.wsUrl, jwtAdminToken);
    await chat(jwtAdmin, 'j', 1);
    await jwtAdmin.close();

    const [status, own] = await readUsage(sluice.url, jwtAdminToken);
    assert.equal(status, 200);
    assert.equal(own.user, `jwt:${issuer}:admin`);
    assert.equal(requestsIn(own), 1, 'only the JWT user’s own request');
    for (const user of ['admin', 'key:alice']) {
      const [refused, body] = await readUsage(sluice.url, jwtAdminToken, `?user=${encodeURIComponent(user)}`);
      assert.equal(refused, 403, user);
      assert.equal(body.error?.code, 'forbidden');
    }
  });

  it('lets an admin key read a user by the full namespaced name', async () => {
    const alice = await connectWith(sluice.wsUrl, aliceKey);
    await chat(alice, 'u', 1);
    await alice.close();
    const [, byFullName] = await readUsage(sluice.url, adminKey, '?user=key%3Aalice');
    assert.ok(requestsIn(byFullName) >= 1);
    assert.ok(byFullName.usage.every((row) => row.user === 'key:alice'));
    const [, byBareName] = await readUsage(sluice.url, adminKey, '?user=alice');
    assert.deepEqual(byBareName.usage, []);
  });
});

describe('identity: quotas count per namespaced user, unless user_prefix maps them together', () => {
  /** A Sluice where API-key alice and JWT alice are each allowed one request a minute. */
  const startWith = (jwt: Record<string, unknown>) =>
    startTestSluice({
      auth: {
        api_keys: [{ hash: hashApiKey(aliceKey), user: 'alice', plan: 'one' }],
        jwt: { secret: jwtSecret, default_plan: 'one', ...jwt },
      },
      plans: { one: { requests_per_minute: 1 } },
    });

  it('counts JWT alice and API-key alice separately by default', async () => {
    const sluice = await startWith({});
    try {
      const token = await signJwt({ sub: 'alice' });
      assert.deepEqual(await httpChat(sluice.url, aliceKey), [200, undefined]);
      assert.deepEqual(await httpChat(sluice.url, token), [200, undefined]);
      assert.deepEqual(await httpChat(sluice.url, aliceKey), [429, 'rate_limited']);
      assert.deepEqual(await httpChat(sluice.url, token), [429, 'rate_limited']);
    } finally {
      await sluice.close();
    }
  });

  it('makes JWT alice the API-key user alice with user_prefix "key:": one count, one ledger', async () => {
    const sluice = await startWith({ user_prefix: 'key:' });
    try {
      const token = await signJwt({ sub: 'alice' });
      assert.deepEqual(await httpChat(sluice.url, aliceKey), [200, undefined]);
      assert.deepEqual(await httpChat(sluice.url, token), [429, 'rate_limited']);
      const [, usage] = await readUsage(sluice.url, token);
      assert.equal(usage.user, 'key:alice');
      assert.equal(requestsIn(usage), 1);
    } finally {
      await sluice.close();
    }
  });
});

describe('identity: a JWT is an admin only through a configured admin claim', () => {
  const startWith = (jwt: Record<string, unknown>) =>
    startTestSluice({
      auth: {
        api_keys: [{ hash: hashApiKey(aliceKey), user: 'alice' }],
        jwt: { secret: jwtSecret, ...jwt },
      },
    });

  it("lets a token whose admin claim has the configured value read another user's usage", async () => {
    const sluice = await startWith({ admin_claim: { claim: 'role', value: 'operator' } });
    try {
      const operator = await signJwt({ sub: 'ops', role: 'operator' });
      const [status, body] = await readUsage(sluice.url, operator, '?user=key%3Aalice');
      assert.equal(status, 200);
      assert.equal(body.user, 'key:alice');
      const notOperator = await signJwt({ sub: 'ops', role: 'viewer' });
      assert.equal((await readUsage(sluice.url, notOperator, '?user=key%3Aalice'))[0], 403);
    } finally {
      await sluice.close();
    }
  });

  it('makes no JWT an admin when no admin claim is configured, whatever its claims or name say', async () => {
    const sluice = await startWith({});
    try {
      const token = await signJwt({ sub: 'admin', role: 'operator', admin: true });
      for (const user of ['key:alice', 'admin']) {
        const [status, body] = await readUsage(sluice.url, token, `?user=${encodeURIComponent(user)}`);
        assert.equal(status, 403, user);
        assert.equal(body.error?.code, 'forbidden');
      }
    } finally {
      await sluice.close();
    }
  });
});
