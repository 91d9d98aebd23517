import assert from 'node:assert/strict';
import { it } from 'node:test';
import { decideCacheUse } from '../../../src/cache/decide-cache-use.ts';

const neither = { read: false, write: false };

it('reads and stores by default on a route with caching on', () => {
  assert.deepEqual(decideCacheUse('on', undefined, 0.7), { read: true, write: true });
  assert.deepEqual(decideCacheUse('on', 'default', undefined), { read: true, write: true });
});

it('neither reads nor stores on a route with caching off, whatever the request asks', () => {
  for (const mode of [undefined, 'default', 'refresh', 'bypass'] as const) {
    assert.deepEqual(decideCacheUse('off', mode, 0), neither, String(mode));
  }
});

it('skips the cache entirely for a bypass request', () => {
  assert.deepEqual(decideCacheUse('on', 'bypass', 0), neither);
});

it('asks upstream and replaces the stored reply for a refresh request', () => {
  assert.deepEqual(decideCacheUse('on', 'refresh', 0), { read: false, write: true });
});

it('caches on a temperature-zero route only requests sent at temperature 0', () => {
  assert.deepEqual(decideCacheUse('temperature-zero', undefined, 0), { read: true, write: true });
  assert.deepEqual(decideCacheUse('temperature-zero', 'refresh', 0), { read: false, write: true });
  assert.deepEqual(decideCacheUse('temperature-zero', undefined, 0.2), neither);
  // No temperature means the provider's default, which samples.
  assert.deepEqual(decideCacheUse('temperature-zero', undefined, undefined), neither);
});
