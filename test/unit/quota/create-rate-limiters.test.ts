import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors/gateway-error.ts';
import { createRateLimiters, memoryLimiterBackend } from '../../../src/quota/create-rate-limiters.ts';

const isCode = (code: string) => (error: unknown) => error instanceof GatewayError && error.code === code;

test('in memory, stream slots are refused past the limit and come back on release', async () => {
  const limiters = createRateLimiters();
  const plan = { concurrent_streams: 2 };
  const release = await limiters.takeStreamSlot('basic', plan, 'alice');
  await limiters.takeStreamSlot('basic', plan, 'alice');
  await assert.rejects(limiters.takeStreamSlot('basic', plan, 'alice'), {
    code: 'rate_limited',
    message: 'at most 2 concurrent streams',
  });
  release();
  release();
  await limiters.takeStreamSlot('basic', plan, 'alice');
  await assert.rejects(limiters.takeStreamSlot('basic', plan, 'alice'), isCode('rate_limited'));
});

test("a backend's own stream slots decide, with its failures turned into its error", async () => {
  const asked: Array<[string, number]> = [];
  let answer: () => Promise<(() => void) | undefined> = async () => undefined;
  const limiters = createRateLimiters({
    ...memoryLimiterBackend,
    failure: (error) => new GatewayError('unavailable', 'down', { cause: error }),
    streamSlots: {
      take: (key, limit) => {
        asked.push([key, limit]);
        return answer();
      },
    },
  });
  await assert.rejects(limiters.takeStreamSlot('basic', { concurrent_streams: 3 }, 'alice'), {
    code: 'rate_limited',
    message: 'at most 3 concurrent streams',
  });
  assert.deepEqual(asked, [['stream-slots:basic:3:alice', 3]]);
  const release = () => {};
  answer = async () => release;
  assert.equal(await limiters.takeStreamSlot('basic', { concurrent_streams: 3 }, 'alice'), release);
  answer = () => Promise.reject(new Error('connection lost'));
  await assert.rejects(
    limiters.takeStreamSlot('basic', { concurrent_streams: 3 }, 'alice'),
    isCode('unavailable'),
  );
  // No limit, no slot to take.
  await limiters.takeStreamSlot('basic', {}, 'alice');
  assert.equal(asked.length, 3);
});
