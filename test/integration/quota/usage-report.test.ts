import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../../src/auth/hash-api-key.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

const keys = { alice: 'sk-sluice-usage-alice', bob: 'sk-sluice-usage-bob', admin: 'sk-sluice-usage-admin' };

describe('GET /v1/usage', () => {
  let sluice: TestSluice;
  const today = new Date().toISOString().slice(0, 10);

  before(async () => {
    sluice = await startTestSluice({
      auth: {
        api_keys: [
          { hash: hashApiKey(keys.alice), user: 'alice', plan: 'pro' },
          { hash: hashApiKey(keys.bob), user: 'bob', plan: 'pro' },
        ],
        admin_keys: [hashApiKey(keys.admin)],
      },
      plans: { pro: { tokens_per_day: 50_000 } },
    });
    for (const [user, count] of [
      ['alice', 2],
      ['bob', 1],
    ] as const) {
      const client = await connectTestClient(sluice.wsUrl, ['sluice.v1', `bearer.${keys[user]}`]);
      for (let index = 0; index < count; index++) {
        client.send({
          type: 'chat',
          id: `r${index}`,
          model: 'demo',
          messages: [{ role: 'user', content: 'hi' }],
        });
        await client.collect(`r${index}`);
      }
      await client.close();
    }
  });
  after(() => sluice.close());

  const get = (path: string, key?: string) =>
    fetch(`${sluice.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  it("returns the caller's own usage by day and model, with what is left", async () => {
    const response = await get('/v1/usage', keys.alice);
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      user: string;
      limits: Record<string, unknown>;
      usage: Array<Record<string, unknown>>;
    };
    assert.equal(body.user, 'key:alice');
    assert.equal(body.usage.length, 1);
    const [row] = body.usage;
    assert.equal(row?.day, today);
    assert.equal(row?.model, 'demo');
    assert.equal(row?.requests, 2);
    const spent = Number(row?.input_tokens) + Number(row?.output_tokens);
    assert.equal(body.limits.tokens_left_today, 50_000 - spent);
  });

  it("refuses another user's usage to a non-admin with 403", async () => {
    const response = await get('/v1/usage?user=key:bob', keys.alice);
    assert.equal(response.status, 403);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'forbidden');
  });

  it("lets an admin read any user's usage, and everyone's with totals", async () => {
    const bob = (await (await get('/v1/usage?user=key:bob', keys.admin)).json()) as {
      usage: Array<{ requests: number }>;
    };
    assert.deepEqual(
      bob.usage.map((row) => row.requests),
      [1],
    );
    const all = (await (await get('/v1/usage', keys.admin)).json()) as {
      usage: Array<{ user: string; requests: number }>;
      totals: { requests: number };
    };
    assert.deepEqual(all.usage.map((row) => [row.user, row.requests]).sort(), [
      ['key:alice', 2],
      ['key:bob', 1],
    ]);
    assert.equal(all.totals.requests, 3);
  });

  it('answers a missing credential with 401 and a bad days value with 400', async () => {
    assert.equal((await get('/v1/usage')).status, 401);
    assert.equal((await get('/v1/usage?days=0', keys.alice)).status, 400);
  });
});
