import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createMemoryResponseCache } from '../../../src/cache/memory-response-cache.ts';
import type { CachedReply } from '../../../src/cache/response-cache.ts';

const replyOf = (text: string): CachedReply => ({
  parts: [
    { type: 'reasoning-delta', text: 'thinking' },
    { type: 'text-delta', text },
    { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'weather', argumentsDelta: '{"city":' },
    { type: 'tool-call-delta', index: 0, argumentsDelta: '"Oslo"}' },
  ],
  finishReason: 'tool_calls',
  usage: { inputTokens: 12, outputTokens: 7 },
  model: 'gpt-4o-mini',
  provider: 'openai',
  createdAt: 1_700_000_000_000,
});

/** The bytes one entry takes in the cache: its JSON and its key. */
const sizeOf = (key: string, reply: CachedReply) => Buffer.byteLength(JSON.stringify(reply)) + key.length;

/** A clock the test moves by hand; it starts past 0 because lru-cache reads a start of 0 as "no TTL". */
function fakeClock() {
  let now = 1_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

it('returns a stored reply part for part, and nothing for an unknown key', async () => {
  const cache = createMemoryResponseCache({ maxBytes: 100_000, ttlMs: 60_000 });
  await cache.set('k1', replyOf('Hello'));
  assert.deepEqual(await cache.get('k1'), replyOf('Hello'));
  assert.equal(await cache.get('k2'), undefined);
  await cache.close();
});

it('hands out copies, so changing a read reply does not change the stored one', async () => {
  const cache = createMemoryResponseCache({ maxBytes: 100_000, ttlMs: 60_000 });
  const stored = replyOf('Hello');
  await cache.set('k1', stored);
  stored.parts.length = 0;
  const read = await cache.get('k1');
  read!.parts.length = 0;
  assert.deepEqual(await cache.get('k1'), replyOf('Hello'));
  await cache.close();
});

it('replaces a reply stored under the same key, and forgets a deleted one', async () => {
  const cache = createMemoryResponseCache({ maxBytes: 100_000, ttlMs: 60_000 });
  await cache.set('k1', replyOf('old'));
  await cache.set('k1', replyOf('new'));
  assert.deepEqual(await cache.get('k1'), replyOf('new'));
  await cache.delete('k1');
  assert.equal(await cache.get('k1'), undefined);
  await cache.close();
});

it('serves a reply until its TTL has passed and never after', async () => {
  const clock = fakeClock();
  const cache = createMemoryResponseCache({ maxBytes: 100_000, ttlMs: 60_000, now: clock.now });
  await cache.set('k1', replyOf('Hello'));
  clock.advance(60_000);
  assert.deepEqual(await cache.get('k1'), replyOf('Hello'));
  clock.advance(1);
  assert.equal(await cache.get('k1'), undefined);
  await cache.set('k2', replyOf('later'));
  clock.advance(59_999);
  assert.deepEqual(await cache.get('k2'), replyOf('later'));
  await cache.close();
});

it('evicts the least recently used reply when the byte bound is reached', async () => {
  const size = sizeOf('k1', replyOf('aaaa'));
  const cache = createMemoryResponseCache({ maxBytes: size * 2, ttlMs: 60_000 });
  await cache.set('k1', replyOf('aaaa'));
  await cache.set('k2', replyOf('bbbb'));
  // Reading k1 makes k2 the least recently used.
  assert.ok(await cache.get('k1'));
  await cache.set('k3', replyOf('cccc'));
  assert.equal(await cache.get('k2'), undefined);
  assert.deepEqual(await cache.get('k1'), replyOf('aaaa'));
  assert.deepEqual(await cache.get('k3'), replyOf('cccc'));
  await cache.close();
});

it('measures replies in bytes, so one big reply pushes out as many small ones as it needs room for', async () => {
  const small = sizeOf('s0', replyOf('x'));
  const cache = createMemoryResponseCache({ maxBytes: small * 10, ttlMs: 60_000 });
  for (let index = 0; index < 10; index += 1) await cache.set(`s${index}`, replyOf('x'));
  const big = replyOf('y'.repeat(small * 4));
  await cache.set('big', big);
  assert.deepEqual(await cache.get('big'), big);
  const kept: string[] = [];
  for (let index = 0; index < 10; index += 1) if (await cache.get(`s${index}`)) kept.push(`s${index}`);
  const room = Math.floor((small * 10 - sizeOf('big', big)) / small);
  assert.deepEqual(
    kept,
    ['s5', 's6', 's7', 's8', 's9'].slice(5 - room),
    'the most recent small replies that fit beside the big one',
  );
  await cache.close();
});

it('does not store a reply bigger than the whole cache, and drops the older reply under its key', async () => {
  const cache = createMemoryResponseCache({ maxBytes: 2_000, ttlMs: 60_000 });
  await cache.set('small', replyOf('fits'));
  await cache.set('k1', replyOf('old'));
  await cache.set('k1', replyOf('z'.repeat(3_000)));
  assert.equal(await cache.get('k1'), undefined);
  assert.deepEqual(await cache.get('small'), replyOf('fits'));
  await cache.close();
});

it('counts multi-byte text by its UTF-8 bytes', async () => {
  const ascii = replyOf('a'.repeat(300));
  const cache = createMemoryResponseCache({ maxBytes: sizeOf('k1', ascii) + 10, ttlMs: 60_000 });
  await cache.set('k1', ascii);
  assert.deepEqual(await cache.get('k1'), ascii);
  // The same number of characters, three bytes each in UTF-8.
  await cache.set('k1', replyOf('€'.repeat(300)));
  assert.equal(await cache.get('k1'), undefined);
  await cache.close();
});

it('forgets everything on close', async () => {
  const cache = createMemoryResponseCache({ maxBytes: 100_000, ttlMs: 60_000 });
  await cache.set('k1', replyOf('Hello'));
  await cache.close();
  assert.equal(await cache.get('k1'), undefined);
});
