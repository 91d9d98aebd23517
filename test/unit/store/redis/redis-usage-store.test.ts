import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { GatewayError } from '../../../../src/errors/gateway-error.ts';
import { createRedisClient } from '../../../../src/store/redis/create-redis-client.ts';
import { createRedisUsageStore } from '../../../../src/store/redis/redis-usage-store.ts';
import type { ReservationRequest, WindowLimit } from '../../../../src/store/usage-store.ts';
import { connectTestRedis } from '../../../helpers/redis-test-connection.ts';

function reservation(overrides: Partial<ReservationRequest> = {}): ReservationRequest {
  return {
    requestId: randomUUID(),
    time: Date.now(),
    user: 'alice',
    plan: 'basic',
    model: 'demo',
    limits: [],
    inputTokens: 50,
    wantedOutputTokens: 50,
    minOutputTokens: 50,
    price: { input: 0, output: 0 },
    ...overrides,
  };
}

async function twoStores(t: import('node:test').TestContext) {
  const connection = await connectTestRedis(t);
  if (!connection) return undefined;
  const { prefix } = connection;
  return [
    createRedisUsageStore({ redis: await connection.connect(), prefix }),
    createRedisUsageStore({ redis: await connection.connect(), prefix }),
  ] as const;
}

const usage = { cached: false, outcome: 'done', durationMs: 5 };

test('100 concurrent reservations from two instances grant exactly the 10 a token budget fits', async (t) => {
  const stores = await twoStores(t);
  if (!stores) return;
  const limits: WindowLimit[] = [{ window: 'day', tokens: 1000 }];
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, index) => stores[index % 2]!.reserve(reservation({ limits }))),
  );
  const granted = results.filter((result) => result.granted);
  assert.equal(granted.length, 10);
  for (const result of results) {
    if (!result.granted) assert.equal(result.window, 'day');
  }
  assert.deepEqual(
    (await stores[1].remaining('alice', limits, Date.now())).map((window) => window.tokens),
    [0],
  );
});

test('100 concurrent reservations from two instances grant exactly the 10 a dollar budget fits', async (t) => {
  const stores = await twoStores(t);
  if (!stores) return;
  const limits: WindowLimit[] = [{ window: 'month', usd: 0.01 }];
  const price = { input: 0.00001, output: 0.00001 };
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, index) => stores[index % 2]!.reserve(reservation({ limits, price }))),
  );
  assert.equal(results.filter((result) => result.granted).length, 10);
  const [remaining] = await stores[0].remaining('alice', limits, Date.now());
  assert.equal(remaining?.usd, 0);
});

test('a grant is clamped to the headroom left and a too-small one is refused with its window', async (t) => {
  const stores = await twoStores(t);
  if (!stores) return;
  const limits: WindowLimit[] = [{ window: 'minute', tokens: 250 }];
  const first = await stores[0].reserve(
    reservation({ limits, wantedOutputTokens: 120, minOutputTokens: 10 }),
  );
  assert.deepEqual(first.granted && first.outputTokens, 120);
  const second = await stores[1].reserve(
    reservation({ limits, wantedOutputTokens: 120, minOutputTokens: 10 }),
  );
  assert.deepEqual(second.granted && second.outputTokens, 30);
  const third = await stores[0].reserve(
    reservation({ limits, wantedOutputTokens: 120, minOutputTokens: 10 }),
  );
  assert.equal(third.granted, false);
  assert.ok(!third.granted && third.window === 'minute' && third.retryAfterMs > 0);
});

test('settling replaces the reservation by the true usage, seen alike from both instances', async (t) => {
  const stores = await twoStores(t);
  if (!stores) return;
  const limits: WindowLimit[] = [
    { window: 'day', tokens: 10_000 },
    { window: 'month', usd: 1 },
  ];
  const request = reservation({
    limits,
    inputTokens: 10,
    wantedOutputTokens: 500,
    minOutputTokens: 1,
    price: { input: 0.001, output: 0.001 },
  });
  const granted = await stores[0].reserve(request);
  assert.ok(granted.granted);
  assert.deepEqual(
    granted.remaining.map((window) => [window.tokens, window.usd]),
    [
      [10_000 - 510, undefined],
      [undefined, 1 - 0.51],
    ],
  );
  const afterSettle = await stores[1].settle(request.requestId, {
    ...usage,
    inputTokens: 10,
    outputTokens: 20,
    costUsd: 0.03,
  });
  assert.deepEqual(
    afterSettle.map((window) => [window.tokens, window.usd]),
    [
      [10_000 - 30, undefined],
      [undefined, 0.97],
    ],
  );
  for (const store of stores) {
    const remaining = await store.remaining('alice', limits, Date.now());
    assert.deepEqual(
      remaining.map((window) => [window.tokens, window.usd]),
      [
        [10_000 - 30, undefined],
        [undefined, 0.97],
      ],
    );
  }
});

test('usage by day sums settled requests per user and model, identically from both instances', async (t) => {
  const stores = await twoStores(t);
  if (!stores) return;
  const settled = [
    { user: 'alice', model: 'demo', input: 10, output: 20, cost: 0.1 },
    { user: 'alice', model: 'demo', input: 1, output: 2, cost: 0.2 },
    { user: 'bob', model: 'other', input: 5, output: 5, cost: 0.000001 },
  ];
  for (const [index, row] of settled.entries()) {
    const request = reservation({ user: row.user, model: row.model });
    await stores[index % 2]!.reserve(request);
    await stores[(index + 1) % 2]!.settle(request.requestId, {
      ...usage,
      inputTokens: row.input,
      outputTokens: row.output,
      costUsd: row.cost,
    });
  }
  await stores[0].recordRefusal(reservation({ user: 'alice' }), 'quota_exceeded');
  const day = new Date().toISOString().slice(0, 10);
  const since = Date.now() - 60_000;
  const expected = [
    {
      day,
      user: 'alice',
      model: 'demo',
      requests: 2,
      inputTokens: 11,
      outputTokens: 22,
      costUsd: 0.3,
      unsettledRequests: 0,
    },
    {
      day,
      user: 'bob',
      model: 'other',
      requests: 1,
      inputTokens: 5,
      outputTokens: 5,
      costUsd: 0.000001,
      unsettledRequests: 0,
    },
  ];
  assert.deepEqual(await stores[0].usageByDay(since), expected);
  assert.deepEqual(await stores[1].usageByDay(since), expected);
  assert.deepEqual(await stores[1].usageByDay(since, 'bob'), [expected[1]]);
});

test('a reservation its instance never settled keeps charging the windows', async (t) => {
  const connection = await connectTestRedis(t);
  if (!connection) return;
  const crashing = await connection.connect();
  const survivor = createRedisUsageStore({ redis: await connection.connect(), prefix: connection.prefix });
  const limits: WindowLimit[] = [{ window: 'day', tokens: 1000 }];
  const granted = await createRedisUsageStore({ redis: crashing, prefix: connection.prefix }).reserve(
    reservation({ limits, inputTokens: 100, wantedOutputTokens: 300 }),
  );
  assert.ok(granted.granted);
  crashing.disconnect();
  const [remaining] = await survivor.remaining('alice', limits, Date.now());
  assert.equal(remaining?.tokens, 600);
});

test('refusals count against no quota', async (t) => {
  const stores = await twoStores(t);
  if (!stores) return;
  const limits: WindowLimit[] = [{ window: 'minute', tokens: 100 }];
  await stores[0].recordRefusal(reservation(), 'rate_limited');
  assert.deepEqual((await stores[1].remaining('alice', limits, Date.now()))[0]?.tokens, 100);
});

test('settling an unknown request fails as a store error, not as an outage', async (t) => {
  const stores = await twoStores(t);
  if (!stores) return;
  await assert.rejects(
    stores[0].settle('never-reserved', { ...usage, inputTokens: 1, outputTokens: 1, costUsd: 0 }),
    (error: Error) =>
      !(error instanceof GatewayError) && /no open reservation never-reserved/.test(error.message),
  );
});

test('a store whose Redis is unreachable rejects every call with unavailable', async (t) => {
  const port = await closedPort();
  const redis = createRedisClient(`redis://127.0.0.1:${port}`, { commandTimeoutMs: 500 });
  t.after(() => redis.disconnect());
  const store = createRedisUsageStore({ redis, prefix: 'sluice-test:unreachable:' });
  const unavailable = (error: unknown) =>
    error instanceof GatewayError && error.code === 'unavailable' && error.status === 503;
  await assert.rejects(store.reserve(reservation({ limits: [{ window: 'day', tokens: 10 }] })), unavailable);
  await assert.rejects(
    store.settle('any', { ...usage, inputTokens: 1, outputTokens: 1, costUsd: 0 }),
    unavailable,
  );
  await assert.rejects(store.remaining('alice', [{ window: 'day', tokens: 10 }], Date.now()), unavailable);
  await assert.rejects(store.usageByDay(Date.now()), unavailable);
});

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
