import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it, type TestContext } from 'node:test';
import { createRedisUsageStore } from '../../../src/store/redis/redis-usage-store.ts';
import { openSqliteUsageStore } from '../../../src/store/sqlite/sqlite-usage-store.ts';
import type { ReservationRequest, UsageStore, WindowLimit } from '../../../src/store/usage-store.ts';
import { connectTestRedis } from '../../helpers/redis-test-connection.ts';

const limits: WindowLimit[] = [{ window: 'day', tokens: 100_000, usd: 10 }];
const price = { input: 0.000_01, output: 0.000_03 };
const done = { cached: false, outcome: 'done', durationMs: 5 };

function reservation(overrides: Partial<ReservationRequest> = {}): ReservationRequest {
  return {
    requestId: randomUUID(),
    time: Date.now(),
    user: 'alice',
    plan: 'basic',
    model: 'demo',
    limits,
    inputTokens: 40,
    wantedOutputTokens: 500,
    minOutputTokens: 1,
    price,
    ...overrides,
  };
}

/** The store kinds, each opened fresh for one test (undefined when its server is missing). */
const stores: Record<string, (t: TestContext) => Promise<UsageStore | undefined>> = {
  sqlite: async (t) => {
    const store = openSqliteUsageStore(':memory:');
    t.after(() => store.close());
    return store;
  },
  redis: async (t) => {
    const connection = await connectTestRedis(t);
    return (
      connection && createRedisUsageStore({ redis: await connection.connect(), prefix: connection.prefix })
    );
  },
};

/** What the day window has charged, from what is left of it. */
async function charged(store: UsageStore) {
  const [day] = await store.remaining('alice', limits, Date.now());
  return { tokens: 100_000 - day!.tokens!, usd: Number((10 - day!.usd!).toFixed(8)) };
}

for (const [kind, open] of Object.entries(stores)) {
  describe(`${kind} usage store: the usage by day shows what the quota charges`, () => {
    it('counts a request that never settled at its reservation, marked unsettled, beside a settled one', async (t) => {
      const store = await open(t);
      if (!store) return;
      const settled = reservation();
      await store.reserve(settled);
      await store.settle(settled.requestId, { ...done, inputTokens: 40, outputTokens: 10, costUsd: 0.0007 });
      const unsettled = await store.reserve(reservation());
      assert.ok(unsettled.granted && unsettled.outputTokens === 500);

      const [row] = await store.usageByDay(Date.now() - 60_000, 'alice');
      assert.deepEqual(
        { ...row, costUsd: Number(row!.costUsd.toFixed(8)) },
        {
          day: new Date().toISOString().slice(0, 10),
          user: 'alice',
          model: 'demo',
          requests: 2,
          inputTokens: 40 + 40,
          outputTokens: 10 + 500,
          costUsd: 0.0161,
          unsettledRequests: 1,
        },
      );
      assert.deepEqual(await charged(store), { tokens: row!.inputTokens + row!.outputTokens, usd: 0.0161 });
    });

    it('replaces the reservation by the true usage once the request settles', async (t) => {
      const store = await open(t);
      if (!store) return;
      const request = reservation();
      await store.reserve(request);
      await store.settle(request.requestId, { ...done, inputTokens: 40, outputTokens: 7, costUsd: 0.00061 });
      const [row] = await store.usageByDay(Date.now() - 60_000);
      assert.deepEqual(
        [row?.requests, row?.inputTokens, row?.outputTokens, row?.costUsd, row?.unsettledRequests],
        [1, 40, 7, 0.00061, 0],
      );
    });
  });
}

describe('sqlite usage store: a ledger written by an older Sluice', () => {
  it('opens, and shows an interrupted reservation it holds at its whole reserved amount', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sluice-ledger-')), 'ledger.db');
    const old = new DatabaseSync(path);
    old.exec(`CREATE TABLE requests (request_id TEXT PRIMARY KEY, time INTEGER NOT NULL, user TEXT NOT NULL,
      plan TEXT NOT NULL, model TEXT NOT NULL, provider TEXT, upstream_model TEXT, status TEXT NOT NULL,
      reserved_tokens INTEGER NOT NULL DEFAULT 0, reserved_usd REAL NOT NULL DEFAULT 0,
      input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
      cost_usd REAL NOT NULL DEFAULT 0, cached INTEGER NOT NULL DEFAULT 0, outcome TEXT, ttft_ms INTEGER,
      duration_ms INTEGER)`);
    old
      .prepare(
        `INSERT INTO requests (request_id, time, user, plan, model, status, reserved_tokens, reserved_usd)
         VALUES ('r1', ?, 'alice', 'basic', 'demo', 'reserved', 540, 0.0154)`,
      )
      .run(Date.now());
    old.close();

    const store = openSqliteUsageStore(path);
    const [row] = await store.usageByDay(Date.now() - 60_000);
    assert.ok(row);
    assert.deepEqual(
      [row.requests, row.inputTokens + row.outputTokens, row.costUsd, row.unsettledRequests],
      [1, 540, 0.0154, 1],
    );
    assert.deepEqual(await charged(store), { tokens: 540, usd: 0.0154 });
    await store.close();
  });
});
