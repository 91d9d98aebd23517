import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  isJsonPointer,
  lookupJsonPointer,
  parseJsonPointer,
} from '../../../../providers/shared/json-pointer.ts';

// The example document of RFC 6901, section 5.
const rfcDocument = {
  foo: ['bar', 'baz'],
  '': 0,
  'a/b': 1,
  'c%d': 2,
  'e^f': 3,
  'g|h': 4,
  'i\\j': 5,
  'k"l': 6,
  ' ': 7,
  'm~n': 8,
};

describe('lookupJsonPointer', () => {
  test('finds every value of the RFC 6901 example, escapes included', () => {
    const expectations: Array<[string, unknown]> = [
      ['', rfcDocument],
      ['/foo', ['bar', 'baz']],
      ['/foo/0', 'bar'],
      ['/', 0],
      ['/a~1b', 1],
      ['/c%d', 2],
      ['/e^f', 3],
      ['/g|h', 4],
      ['/i\\j', 5],
      ['/k"l', 6],
      ['/ ', 7],
      ['/m~0n', 8],
    ];
    for (const [pointer, value] of expectations) {
      assert.deepEqual(lookupJsonPointer(rfcDocument, pointer), { found: true, value }, pointer);
    }
  });

  test('unescapes ~1 before ~0, so ~01 names a member called ~1', () => {
    assert.deepEqual(lookupJsonPointer({ '~1': 'tilde-one', '/': 'slash' }, '/~01'), {
      found: true,
      value: 'tilde-one',
    });
  });

  test('walks nested arrays and objects by index and name', () => {
    const chunk = { choices: [{ delta: { content: 'Hi' } }, { delta: { content: 'there' } }] };
    assert.deepEqual(lookupJsonPointer(chunk, '/choices/1/delta/content'), { found: true, value: 'there' });
  });

  test('tells a member that is null apart from a missing one', () => {
    assert.deepEqual(lookupJsonPointer({ content: null }, '/content'), { found: true, value: null });
    assert.deepEqual(lookupJsonPointer({ content: null }, '/missing'), { found: false });
  });

  test('does not find paths that leave the document', () => {
    const document = { list: ['a', 'b'], text: 'abc', number: 1 };
    for (const pointer of [
      '/list/2',
      '/list/-',
      '/list/01',
      '/list/1.0',
      '/list/x',
      '/text/0',
      '/number/x',
      '/a/b/c',
    ]) {
      assert.deepEqual(lookupJsonPointer(document, pointer), { found: false }, pointer);
    }
  });

  test('never reaches into the prototype chain', () => {
    assert.deepEqual(lookupJsonPointer({}, '/constructor'), { found: false });
    assert.deepEqual(lookupJsonPointer({}, '/__proto__'), { found: false });
    assert.deepEqual(lookupJsonPointer([], '/length'), { found: false });
  });

  test('accepts pre-parsed tokens', () => {
    assert.deepEqual(lookupJsonPointer({ 'a/b': { c: 1 } }, ['a/b', 'c']), { found: true, value: 1 });
  });
});

describe('parseJsonPointer', () => {
  test('splits a pointer into unescaped tokens', () => {
    assert.deepEqual(parseJsonPointer(''), []);
    assert.deepEqual(parseJsonPointer('/'), ['']);
    assert.deepEqual(parseJsonPointer('/a~1b/m~0n/0'), ['a/b', 'm~n', '0']);
  });

  test('refuses a pointer that does not start with a slash or has a bad escape', () => {
    for (const pointer of ['choices/0', '/a~2', '/a~', '#/a']) {
      assert.equal(isJsonPointer(pointer), false, pointer);
      assert.throws(() => parseJsonPointer(pointer), TypeError, pointer);
    }
  });
});
