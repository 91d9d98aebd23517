import assert from 'node:assert/strict';
import { it } from 'node:test';
import { z } from 'zod';
import { cacheConfigSchema, routeCacheFields } from '../../../src/cache/cache-config-schema.ts';

const routeSchema = z.strictObject(routeCacheFields);

it('defaults to 64 MiB, ten minutes, and hits that count their tokens', () => {
  assert.deepEqual(cacheConfigSchema.parse({}), {
    max_bytes: 67_108_864,
    ttl_ms: 600_000,
    hits_count_tokens: true,
  });
});

it('refuses a bound that is not a positive whole number, and unknown fields', () => {
  assert.equal(cacheConfigSchema.safeParse({ max_bytes: 0 }).success, false);
  assert.equal(cacheConfigSchema.safeParse({ ttl_ms: 1.5 }).success, false);
  assert.equal(cacheConfigSchema.safeParse({ max_size: 10 }).success, false);
});

it('caches a route only at temperature 0 and coalesces by default', () => {
  assert.deepEqual(routeSchema.parse({}), { cache: 'temperature-zero', coalesce: true });
});

it('accepts each route cache mode and refuses others', () => {
  for (const cache of ['off', 'on', 'temperature-zero'])
    assert.equal(routeSchema.parse({ cache }).cache, cache);
  assert.equal(routeSchema.safeParse({ cache: true }).success, false);
  assert.equal(routeSchema.parse({ coalesce: false }).coalesce, false);
});
