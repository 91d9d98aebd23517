import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readTopLevelString } from '../../../src/wire/read-top-level-string.ts';

describe('readTopLevelString', () => {
  it('reads a field of the outermost object, even when the text is too deep to parse', () => {
    const deep = `{"type":"chat","tools":${'['.repeat(3000)}${']'.repeat(3000)}, "id" : "r-1"}`;
    assert.equal(readTopLevelString(deep, 'id'), 'r-1');
  });

  it('skips fields of the same name nested in other values, and lookalikes inside strings', () => {
    const text = JSON.stringify({ messages: [{ id: 'inner' }], note: '"id":"fake"', id: 'outer' });
    assert.equal(readTopLevelString(text, 'id'), 'outer');
  });

  it('decodes escapes in the value', () => {
    assert.equal(readTopLevelString('{"id":"a\\"b\\u0041"}', 'id'), 'a"bA');
  });

  it('has nothing to read when the field is absent, not a string, or cut short', () => {
    assert.equal(readTopLevelString('{"type":"chat"}', 'id'), undefined);
    assert.equal(readTopLevelString('{"id":42}', 'id'), undefined);
    assert.equal(readTopLevelString('{"id":"unterminated', 'id'), undefined);
    assert.equal(readTopLevelString('not json', 'id'), undefined);
  });
});
