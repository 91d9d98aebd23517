import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  childTraceparent,
  formatTraceparent,
  parseTraceparent,
  randomSpanId,
} from '../../../src/tracing/traceparent.ts';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const parentId = '00f067aa0ba902b7';
const valid = `00-${traceId}-${parentId}-01`;

describe('parseTraceparent', () => {
  it('reads the trace id, the parent id and the flags of a version 00 header', () => {
    assert.deepEqual(parseTraceparent(valid), { traceId, parentId, flags: 1 });
    assert.deepEqual(parseTraceparent(`00-${traceId}-${parentId}-00`), { traceId, parentId, flags: 0 });
  });

  it('reads a later version by its first four fields, ignoring what follows them', () => {
    assert.deepEqual(parseTraceparent(`cc-${traceId}-${parentId}-01-what-the-future-adds`), {
      traceId,
      parentId,
      flags: 1,
    });
    assert.deepEqual(parseTraceparent(`01-${traceId}-${parentId}-01`), { traceId, parentId, flags: 1 });
  });

  const invalid: Array<[string, unknown]> = [
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${parentId}-01`],
    ['an all-zero parent id', `00-${traceId}-${'0'.repeat(16)}-01`],
    ['the forbidden version ff', `ff-${traceId}-${parentId}-01`],
    ['uppercase hex', valid.toUpperCase()],
    ['a short trace id', `00-${traceId.slice(1)}-${parentId}-01`],
    ['a long parent id', `00-${traceId}-${parentId}0-01`],
    ['extra fields on version 00', `${valid}-extra`],
    ['a later version glued to more text', `01-${traceId}-${parentId}-01x`],
    ['other separators', valid.replaceAll('-', '_')],
    ['non-hex characters', `00-${traceId.replace('4', 'g')}-${parentId}-01`],
    ['an empty string', ''],
    ['garbage', 'hello'],
    ['a number', 42],
    ['undefined', undefined],
  ];
  for (const [name, value] of invalid) {
    it(`refuses ${name}`, () => {
      assert.equal(parseTraceparent(value), undefined);
    });
  }
});

describe('formatTraceparent', () => {
  it('writes a version 00 header that parses back to the same fields', () => {
    const formatted = formatTraceparent({ traceId, parentId, flags: 3 });
    assert.equal(formatted, `00-${traceId}-${parentId}-03`);
    assert.deepEqual(parseTraceparent(formatted), { traceId, parentId, flags: 3 });
  });
});

describe('childTraceparent', () => {
  it('keeps the trace id and the flags, with a new random parent id', () => {
    const parent = parseTraceparent(valid)!;
    const first = childTraceparent(parent);
    const second = childTraceparent(parent);
    assert.equal(first.traceId, traceId);
    assert.equal(first.flags, 1);
    assert.notEqual(first.parentId, parentId);
    assert.notEqual(first.parentId, second.parentId);
    assert.deepEqual(parseTraceparent(formatTraceparent(first)), first);
  });
});

describe('randomSpanId', () => {
  it('is 16 lowercase hex digits, not all zero', () => {
    for (let index = 0; index < 100; index++) {
      const id = randomSpanId();
      assert.match(id, /^[0-9a-f]{16}$/);
      assert.notEqual(id, '0'.repeat(16));
    }
  });
});
