import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createRedisEventLog } from '../../../src/resume/redis-event-log.ts';
import { testEventLogContract } from './event-log-contract.ts';
import {
  connectTestRedis,
  deleteKeys,
  redisWithoutServer,
  skipWithoutRedis,
  uniquePrefix,
} from './test-redis.ts';

/** Two instances: each with its own connection, sharing one prefix. */
testEventLogContract(async (bounds) => {
  const prefix = uniquePrefix();
  const writerRedis = (await connectTestRedis())!;
  const readerRedis = (await connectTestRedis())!;
  const writer = createRedisEventLog({ redis: writerRedis, prefix, ...bounds });
  const reader = createRedisEventLog({ redis: readerRedis, prefix, ...bounds });
  return {
    writer,
    reader,
    async close() {
      await writer.close();
      await reader.close();
      await deleteKeys(writerRedis, prefix);
      writerRedis.disconnect();
      readerRedis.disconnect();
    },
  };
}, skipWithoutRedis);

it('ends a live reader with not_found when its log expires because the writer went away', {
  skip: skipWithoutRedis,
}, async () => {
  const prefix = uniquePrefix();
  const redis = (await connectTestRedis())!;
  const log = createRedisEventLog({ redis, prefix, retentionMs: 200, maxEvents: 100, blockMs: 50 });
  try {
    await log.open('a1', 'ada');
    await log.append('a1', { seq: 0, frame: '{}' });
    const events = log.read('a1', 0)[Symbol.asyncIterator]();
    await assert.rejects(events.next(), { code: 'not_found' });
  } finally {
    await log.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  }
});

it('rejects with unavailable at once when Redis does not answer', async () => {
  const redis = await redisWithoutServer();
  const log = createRedisEventLog({ redis, prefix: uniquePrefix(), retentionMs: 1_000, maxEvents: 100 });
  await assert.rejects(log.open('a1', 'ada'), { code: 'unavailable' });
  await assert.rejects(log.append('a1', { seq: 0, frame: '{}' }), { code: 'unavailable' });
  await assert.rejects(log.owner('a1'), { code: 'unavailable' });
  await assert.rejects(log.read('a1', 0)[Symbol.asyncIterator]().next(), { code: 'unavailable' });
  await log.close();
  redis.disconnect();
});
