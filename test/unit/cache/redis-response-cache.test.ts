import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Redis } from 'ioredis';
import { createRedisResponseCache } from '../../../src/cache/redis-response-cache.ts';
import type { CachedReply } from '../../../src/cache/response-cache.ts';
import { until } from '../../helpers/until.ts';
import {
  connectTestRedis,
  deleteKeys,
  redisWithoutServer,
  skipWithoutRedis,
  uniquePrefix,
} from '../resume/test-redis.ts';

const replyOf = (text: string): CachedReply => ({
  parts: [
    { type: 'reasoning-delta', text: 'thinking' },
    { type: 'text-delta', text },
    { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'weather', argumentsDelta: '{"city":"Oslo"}' },
  ],
  finishReason: 'tool_calls',
  usage: { inputTokens: 12, outputTokens: 7 },
  model: 'gpt-4o-mini',
  provider: 'openai',
  createdAt: 1_700_000_000_000,
});

/** Runs a test against a cache on the test Redis, under a prefix of its own that is deleted after. */
const withRedis = (name: string, body: (redis: Redis, prefix: string) => Promise<void>) =>
  it(name, { skip: skipWithoutRedis }, async () => {
    const redis = (await connectTestRedis())!;
    const prefix = uniquePrefix();
    try {
      await body(redis, prefix);
    } finally {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
  });

withRedis('returns a stored reply part for part, and nothing for an unknown key', async (redis, prefix) => {
  const cache = createRedisResponseCache({ redis, prefix, ttlMs: 60_000, maxBytes: 100_000 });
  await cache.set('k1', replyOf('Hello'));
  assert.deepEqual(await cache.get('k1'), replyOf('Hello'));
  assert.equal(await cache.get('k2'), undefined);
});

withRedis('shares replies between instances on the same Redis and prefix', async (redis, prefix) => {
  const other = (await connectTestRedis())!;
  try {
    await createRedisResponseCache({ redis, prefix, ttlMs: 60_000, maxBytes: 100_000 }).set(
      'k1',
      replyOf('Hi'),
    );
    const cache = createRedisResponseCache({ redis: other, prefix, ttlMs: 60_000, maxBytes: 100_000 });
    assert.deepEqual(await cache.get('k1'), replyOf('Hi'));
    const elsewhere = createRedisResponseCache({
      redis: other,
      prefix: `${prefix}x:`,
      ttlMs: 60_000,
      maxBytes: 100_000,
    });
    assert.equal(await elsewhere.get('k1'), undefined);
  } finally {
    other.disconnect();
  }
});

withRedis('replaces a reply stored under the same key, and forgets a deleted one', async (redis, prefix) => {
  const cache = createRedisResponseCache({ redis, prefix, ttlMs: 60_000, maxBytes: 100_000 });
  await cache.set('k1', replyOf('old'));
  await cache.set('k1', replyOf('new'));
  assert.deepEqual(await cache.get('k1'), replyOf('new'));
  await cache.delete('k1');
  assert.equal(await cache.get('k1'), undefined);
});

withRedis('stores a reply with its TTL, and serves nothing once it has expired', async (redis, prefix) => {
  const cache = createRedisResponseCache({ redis, prefix, ttlMs: 60_000, maxBytes: 100_000 });
  await cache.set('k1', replyOf('Hello'));
  const ttl = await redis.pttl(`${prefix}k1`);
  assert.ok(ttl > 0 && ttl <= 60_000, `TTL ${ttl}`);
  const shortLived = createRedisResponseCache({ redis, prefix, ttlMs: 20, maxBytes: 100_000 });
  await shortLived.set('k2', replyOf('Bye'));
  await until(async () => (await shortLived.get('k2')) === undefined);
  assert.equal(await redis.exists(`${prefix}k2`), 0);
});

withRedis(
  'does not store a reply over maxBytes, and drops the older reply under its key',
  async (redis, prefix) => {
    const small = replyOf('Hi');
    const limit = Buffer.byteLength(JSON.stringify(small)) + Buffer.byteLength(`${prefix}k1`);
    const cache = createRedisResponseCache({ redis, prefix, ttlMs: 60_000, maxBytes: limit });
    await cache.set('k1', small);
    assert.deepEqual(await cache.get('k1'), small);
    await cache.set('k1', replyOf('Hi!'));
    assert.equal(await cache.get('k1'), undefined);
  },
);

it('rejects with unavailable at once when Redis does not answer', async () => {
  const redis = await redisWithoutServer();
  const cache = createRedisResponseCache({ redis, prefix: uniquePrefix(), ttlMs: 60_000, maxBytes: 100_000 });
  await assert.rejects(cache.get('k1'), { code: 'unavailable' });
  await assert.rejects(cache.set('k1', replyOf('Hi')), { code: 'unavailable' });
  await assert.rejects(cache.delete('k1'), { code: 'unavailable' });
  await cache.close();
  redis.disconnect();
});
