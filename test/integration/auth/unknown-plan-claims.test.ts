import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

const jwtSecret = 'a-shared-hs256-secret-of-at-least-32-chars';

/** Plan names that every plain object inherits, so a lookup without an own-property check finds them. */
const inheritedNames = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];

function tokenOnPlan(plan: string) {
  return new SignJWT({ sub: 'mallory', plan })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(jwtSecret));
}

/** The status and body of a refused upgrade. */
function refusedUpgrade(url: string, token: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const socket = new WebSocket(url, ['sluice.v1', `bearer.${token}`]);
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    socket.on('open', () => reject(new Error('the upgrade was accepted')));
    socket.on('error', () => {});
  });
}

describe('identity: a plan claim that names no configured plan', () => {
  let sluice: TestSluice;
  before(async () => {
    sluice = await startTestSluice({
      providers: { other: { type: 'demo', token_delay_ms: 0 } },
      // `locked` is in no plan: only a plan without a model list would let a user ask for it.
      models: { locked: { target: { provider: 'other', model: 'demo' } } },
      auth: { jwt: { secret: jwtSecret } },
      plans: { default: { models: ['demo'] } },
    });
  });
  after(() => sluice.close());

  const call = (path: string, token: string, body?: unknown) =>
    fetch(`${sluice.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  for (const plan of inheritedNames) {
    it(`refuses the WebSocket handshake of a token on plan "${plan}" with 403`, async () => {
      const refusal = await refusedUpgrade(sluice.wsUrl, await tokenOnPlan(plan));
      assert.equal(refusal.status, 403);
      assert.match(refusal.body, /unknown plan/);
    });

    it(`answers a chat completion of a token on plan "${plan}" with 403 forbidden`, async () => {
      const response = await call('/v1/chat/completions', await tokenOnPlan(plan), {
        model: 'locked',
        messages: [{ role: 'user', content: 'Hi' }],
      });
      assert.equal(response.status, 403);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'forbidden');
    });

    it(`answers GET /v1/models and GET /v1/usage of a token on plan "${plan}" with 403 forbidden`, async () => {
      const token = await tokenOnPlan(plan);
      for (const path of ['/v1/models', '/v1/usage']) {
        const response = await call(path, token);
        assert.equal(response.status, 403, path);
        assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'forbidden');
      }
    });
  }

  it('answers GET /v1/models of a token on a plan the config does not define with 403 forbidden', async () => {
    const response = await call('/v1/models', await tokenOnPlan('no-such-plan'));
    assert.equal(response.status, 403);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'forbidden');
  });

  it('still serves a token on a configured plan, and lists only that plan’s models', async () => {
    const token = await tokenOnPlan('default');
    const models = (await (await call('/v1/models', token)).json()) as { data: Array<{ id: string }> };
    assert.deepEqual(
      models.data.map((model) => model.id),
      ['demo'],
    );
    const client = await connectTestClient(sluice.wsUrl, ['sluice.v1', `bearer.${token}`]);
    assert.equal((await client.next()).type, 'ready');
    client.send({ type: 'chat', id: 'ok', model: 'demo', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal((await client.collect('ok')).at(-1)?.type, 'done');
    await client.close();
  });
});
