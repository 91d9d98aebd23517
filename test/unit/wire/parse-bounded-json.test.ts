import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxJsonDepth, nestsDeeperThan, parseBoundedJson } from '../../../src/wire/parse-bounded-json.ts';

/** `depth` arrays inside one another around `inner`. */
const nestedArrays = (depth: number, inner = '') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
/** `depth` objects inside one another: `{"a":{"a":...{}}}`. */
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

describe('nestsDeeperThan', () => {
  it('accepts nesting exactly at the limit and refuses one level more, for arrays and objects', () => {
    assert.equal(nestsDeeperThan(nestedArrays(5), 5), false);
    assert.equal(nestsDeeperThan(nestedArrays(6), 5), true);
    assert.equal(nestsDeeperThan(nestedObjects(5), 5), false);
    assert.equal(nestsDeeperThan(nestedObjects(6), 5), true);
  });

  it('counts depth, not the number of brackets: siblings do not add up', () => {
    const siblings = `[${Array.from({ length: 100 }, () => nestedArrays(3)).join(',')}]`;
    assert.equal(nestsDeeperThan(siblings, 4), false);
    assert.equal(nestsDeeperThan(siblings, 3), true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ a: '[[[[[[{{{{{{', b: 'say \\"[[[[[[\\" and "{{{{"', c: ['\\', '[[[['] });
    assert.equal(nestsDeeperThan(text, 2), false);
    assert.equal(nestsDeeperThan(text, 1), true);
  });

  it('sees that a string ending in an escaped backslash is closed, so brackets after it count', () => {
    const text = `["ends with a backslash \\\\", ${nestedArrays(3)}]`;
    assert.deepEqual(JSON.parse(text)[0], 'ends with a backslash \\');
    assert.equal(nestsDeeperThan(text, 4), false);
    assert.equal(nestsDeeperThan(text, 3), true);
  });

  it('reads an unterminated string as the end of the text', () => {
    assert.equal(nestsDeeperThan(`["open ${'['.repeat(10)}`, 2), false);
  });
});

describe('parseBoundedJson', () => {
  it('parses JSON within the limit', () => {
    assert.deepEqual(parseBoundedJson('{"a":[1,{"b":"]"}]}'), { ok: true, value: { a: [1, { b: ']' }] } });
    assert.deepEqual(parseBoundedJson(nestedArrays(maxJsonDepth)).ok, true);
  });

  it('refuses JSON past the limit as too deep, before parsing it', () => {
    assert.deepEqual(parseBoundedJson(nestedArrays(maxJsonDepth + 1)), { ok: false, problem: 'depth' });
    assert.deepEqual(parseBoundedJson(nestedObjects(3000)), { ok: false, problem: 'depth' });
  });

  it('says text that is not JSON is a syntax problem', () => {
    assert.deepEqual(parseBoundedJson('{"a":'), { ok: false, problem: 'syntax' });
    assert.deepEqual(parseBoundedJson(']]]]'), { ok: false, problem: 'syntax' });
  });
});
