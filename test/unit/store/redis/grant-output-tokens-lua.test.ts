import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grantOutputTokens, type WindowUse } from '../../../../src/store/grant-output-tokens.ts';
import { grantOutputTokensLua } from '../../../../src/store/redis/grant-output-tokens-lua.ts';
import type { WindowLimit } from '../../../../src/store/usage-store.ts';
import { connectTestRedis } from '../../../helpers/redis-test-connection.ts';

/** Runs the Lua rule alone on one case, the way the reserve script calls it. */
const decideLua = `${grantOutputTokensLua}
local request = cjson.decode(ARGV[1])
local limits = cjson.decode(ARGV[2])
local uses = cjson.decode(ARGV[3])
local granted, result = grant_output_tokens(request.inputTokens, request.wantedOutputTokens,
  request.minOutputTokens, request.price.input, request.price.output, limits, uses)
if granted then return {1, result} end
return {0, result}
`;

interface Case {
  name: string;
  inputTokens: number;
  wantedOutputTokens: number;
  minOutputTokens: number;
  price: { input: number; output: number };
  uses: Array<{ limit: WindowLimit; use: WindowUse }>;
}

const free = { input: 0, output: 0 };
const cheap = { input: 0.15 / 1e6, output: 0.6 / 1e6 };
const dear = { input: 3 / 1e6, output: 15 / 1e6 };

const cases: Case[] = [
  { name: 'no limits', inputTokens: 10, wantedOutputTokens: 100, minOutputTokens: 16, price: dear, uses: [] },
  {
    name: 'room for all',
    inputTokens: 10,
    wantedOutputTokens: 100,
    minOutputTokens: 16,
    price: free,
    uses: [{ limit: { window: 'minute', tokens: 1000 }, use: { tokens: 0, usd: 0 } }],
  },
  {
    name: 'clamped by tokens',
    inputTokens: 10,
    wantedOutputTokens: 100,
    minOutputTokens: 16,
    price: free,
    uses: [{ limit: { window: 'day', tokens: 1000 }, use: { tokens: 950, usd: 0 } }],
  },
  {
    name: 'refused by tokens',
    inputTokens: 10,
    wantedOutputTokens: 100,
    minOutputTokens: 16,
    price: free,
    uses: [{ limit: { window: 'day', tokens: 1000 }, use: { tokens: 980, usd: 0 } }],
  },
  {
    name: 'wanted below the minimum still granted',
    inputTokens: 10,
    wantedOutputTokens: 5,
    minOutputTokens: 16,
    price: free,
    uses: [{ limit: { window: 'minute', tokens: 20 }, use: { tokens: 5, usd: 0 } }],
  },
  {
    name: 'clamped by dollars',
    inputTokens: 1000,
    wantedOutputTokens: 4000,
    minOutputTokens: 16,
    price: dear,
    uses: [{ limit: { window: 'month', usd: 5 }, use: { tokens: 0, usd: 4_999_900 / 1e6 } }],
  },
  {
    name: 'refused by dollars',
    inputTokens: 1000,
    wantedOutputTokens: 4000,
    minOutputTokens: 16,
    price: dear,
    uses: [{ limit: { window: 'month', usd: 5 }, use: { tokens: 0, usd: 4_997_000 / 1e6 } }],
  },
  {
    name: 'fractional micro-dollar prices',
    inputTokens: 123,
    wantedOutputTokens: 100_000,
    minOutputTokens: 16,
    price: cheap,
    uses: [{ limit: { window: 'day', usd: 0.01 }, use: { tokens: 0, usd: 3_333 / 1e6 } }],
  },
  {
    name: 'free output with dollars left',
    inputTokens: 10,
    wantedOutputTokens: 100,
    minOutputTokens: 16,
    price: { input: 0.001, output: 0 },
    uses: [{ limit: { window: 'day', usd: 1 }, use: { tokens: 0, usd: 0.5 } }],
  },
  {
    name: 'free output with no dollars left',
    inputTokens: 10,
    wantedOutputTokens: 100,
    minOutputTokens: 16,
    price: { input: 0.001, output: 0 },
    uses: [{ limit: { window: 'day', usd: 1 }, use: { tokens: 0, usd: 0.995 } }],
  },
  {
    name: 'the tightest of several windows binds',
    inputTokens: 100,
    wantedOutputTokens: 2000,
    minOutputTokens: 16,
    price: dear,
    uses: [
      { limit: { window: 'minute', tokens: 5000 }, use: { tokens: 3500, usd: 0 } },
      { limit: { window: 'day', tokens: 100_000, usd: 2 }, use: { tokens: 50_000, usd: 1_990_000 / 1e6 } },
      { limit: { window: 'month', usd: 50 }, use: { tokens: 0, usd: 10 } },
    ],
  },
  {
    name: 'exactly the minimum fits',
    inputTokens: 50,
    wantedOutputTokens: 50,
    minOutputTokens: 50,
    price: { input: 0.00001, output: 0.00001 },
    uses: [{ limit: { window: 'month', usd: 0.01 }, use: { tokens: 0, usd: 9_000 / 1e6 } }],
  },
];

test('the Lua grant rule decides exactly like grantOutputTokens', async (t) => {
  const connection = await connectTestRedis(t);
  if (!connection) return;
  const redis = await connection.connect();
  for (const testCase of cases) {
    const expected = grantOutputTokens(testCase, testCase.uses);
    const reply = (await redis.eval(
      decideLua,
      0,
      JSON.stringify(testCase),
      JSON.stringify(testCase.uses.map(({ limit }) => limit)),
      JSON.stringify(testCase.uses.map(({ use }) => use)),
    )) as [number, number | string];
    const actual =
      reply[0] === 1 ? { granted: true, outputTokens: reply[1] } : { granted: false, window: reply[1] };
    const wanted = expected.granted
      ? { granted: true, outputTokens: expected.outputTokens }
      : { granted: false, window: expected.window };
    assert.deepEqual(actual, wanted, testCase.name);
  }
});
