import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTargetSelector, type WeightedTarget } from '../../../src/routing/create-target-selector.ts';

/** mulberry32: a small seeded PRNG, so random draws repeat exactly from run to run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const idle = () => 0;
const keys = (targets: WeightedTarget[]) => targets.map((target) => target.key);
const targets: WeightedTarget[] = [
  { key: 'a', weight: 70 },
  { key: 'b', weight: 20 },
  { key: 'c', weight: 10 },
];

it('tries the targets in config order with the fallback strategy', () => {
  const selector = createTargetSelector('fallback', targets);
  assert.deepEqual(keys(selector.order(idle)), ['a', 'b', 'c']);
  assert.deepEqual(keys(selector.order(() => 5)), ['a', 'b', 'c']);
});

it('puts each target first in proportion to its weight with the weighted strategy', () => {
  const selector = createTargetSelector('weighted', targets);
  const random = seededRandom(42);
  const firsts = new Map<string, number>();
  for (let draw = 0; draw < 1000; draw += 1) {
    const order = keys(selector.order(idle, random));
    assert.deepEqual([...order].sort(), ['a', 'b', 'c']);
    firsts.set(order[0]!, (firsts.get(order[0]!) ?? 0) + 1);
  }
  for (const { key, weight } of targets) {
    const share = (firsts.get(key) ?? 0) / 1000;
    assert.ok(Math.abs(share - weight / 100) < 0.04, `${key} was first ${share * 100}% of the time`);
  }
});

it('draws the fallbacks by weight too, and never draws a weight-0 target before the others', () => {
  const selector = createTargetSelector('weighted', [
    { key: 'spare', weight: 0 },
    { key: 'a', weight: 1 },
    { key: 'b', weight: 1 },
  ]);
  const random = seededRandom(7);
  const seconds = new Map<string, number>();
  for (let draw = 0; draw < 200; draw += 1) {
    const order = keys(selector.order(idle, random));
    assert.equal(order[2], 'spare');
    seconds.set(order[1]!, (seconds.get(order[1]!) ?? 0) + 1);
  }
  assert.ok((seconds.get('a') ?? 0) > 50 && (seconds.get('b') ?? 0) > 50);
});

it('follows nginx smooth weighted round-robin, then the rest in config order', () => {
  const selector = createTargetSelector('round-robin', [
    { key: 'a', weight: 5 },
    { key: 'b', weight: 1 },
    { key: 'c', weight: 1 },
  ]);
  const firsts = Array.from({ length: 7 }, () => selector.order(idle)[0]!.key);
  assert.deepEqual(firsts, ['a', 'a', 'b', 'a', 'c', 'a', 'a']);
  assert.deepEqual(keys(selector.order(idle)), ['a', 'b', 'c']);
  assert.deepEqual(keys(selector.order(idle)), ['a', 'b', 'c']);
  assert.deepEqual(keys(selector.order(idle)), ['b', 'a', 'c']);
});

it('gives round-robin targets exactly their weighted share of first places', () => {
  const selector = createTargetSelector('round-robin', targets);
  const firsts = new Map<string, number>();
  for (let round = 0; round < 1000; round += 1) {
    const first = selector.order(idle)[0]!.key;
    firsts.set(first, (firsts.get(first) ?? 0) + 1);
  }
  assert.deepEqual(Object.fromEntries(firsts), { a: 700, b: 200, c: 100 });
});

it('tries the least busy target first, equally busy ones in config order', () => {
  const selector = createTargetSelector('least-busy', targets);
  const load: Record<string, number> = { a: 3, b: 0, c: 1 };
  assert.deepEqual(keys(selector.order((key) => load[key]!)), ['b', 'c', 'a']);
  load.b = 3;
  load.c = 3;
  assert.deepEqual(keys(selector.order((key) => load[key]!)), ['a', 'b', 'c']);
});

it('hands back the caller’s own target objects', () => {
  const configured = [
    { key: 'a', weight: 1, url: 'http://a' },
    { key: 'b', weight: 1, url: 'http://b' },
  ];
  const [first] = createTargetSelector('fallback', configured).order(idle);
  assert.equal(first, configured[0]);
});
