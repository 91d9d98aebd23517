import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renewSlotLua, takeSlotLua } from '../../../../src/quota/redis/stream-slot-scripts.ts';
import { createRedisScript } from '../../../../src/store/redis/redis-script.ts';
import { connectTestRedis } from '../../../helpers/redis-test-connection.ts';

const take = createRedisScript(takeSlotLua);
const renew = createRedisScript(renewSlotLua);

test('taking drops expired leases first, and renewing never revives one', async (t) => {
  const connection = await connectTestRedis(t);
  if (!connection) return;
  const redis = await connection.connect();
  const key = `${connection.prefix}slots`;
  await redis.zadd(key, 1, 'expired', Date.now() + 60_000, 'alive');
  assert.equal(await renew.run(redis, [key], ['expired', 60_000]), 0);
  assert.equal(await redis.zscore(key, 'expired'), null);

  await redis.zadd(key, 1, 'expired');
  assert.equal(await take.run(redis, [key], ['new', 2, 60_000]), 1);
  assert.deepEqual((await redis.zrange(key, '0', '-1')).sort(), ['alive', 'new']);
  assert.equal(await take.run(redis, [key], ['refused', 2, 60_000]), 0);
  assert.equal(await redis.zscore(key, 'refused'), null);
  assert.equal(await renew.run(redis, [key], ['alive', 60_000]), 1);
});

test('the key lives as long as its longest lease, and a shorter lease never shortens it', async (t) => {
  const connection = await connectTestRedis(t);
  if (!connection) return;
  const redis = await connection.connect();
  const key = `${connection.prefix}slots`;
  assert.equal(await take.run(redis, [key], ['long', 5, 600_000]), 1);
  assert.equal(await take.run(redis, [key], ['short', 5, 1_000]), 1);
  assert.equal(await renew.run(redis, [key], ['short', 1_000]), 1);
  assert.ok((await redis.pttl(key)) > 500_000);
});
