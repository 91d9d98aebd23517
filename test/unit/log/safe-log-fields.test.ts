import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundText } from '../../../src/log/bound-text.ts';
import { quoteClientValue } from '../../../src/log/quote-client-value.ts';
import { safeLogFields } from '../../../src/log/safe-log-fields.ts';

describe('safe log fields', () => {
  it('hands back the very object when nothing is secret or long: no copy on the common line', () => {
    const fields = { event: 'request_end', model: 'demo', nested: { provider: 'p' }, list: ['a'], n: 1 };
    assert.equal(safeLogFields(fields), fields);
  });

  it('copies only what changes', () => {
    const nested = { provider: 'p' };
    const fields = { model: 'x'.repeat(201), nested };
    const safe = safeLogFields(fields);
    assert.notEqual(safe, fields);
    assert.equal(safe.nested, nested);
  });
});

describe('boundText', () => {
  it('never splits a surrogate pair', () => {
    const text = `${'a'.repeat(199)}😀${'b'.repeat(10)}`;
    assert.equal(boundText(text), `${'a'.repeat(199)}…(+12 chars)`);
  });
});

describe('quoteClientValue', () => {
  it('quotes a short string as JSON does', () => {
    assert.equal(quoteClientValue('gpt-4o'), '"gpt-4o"');
  });

  it('quotes a long string bounded, and a long non-string value too', () => {
    assert.equal(quoteClientValue('x'.repeat(1000)), `"${'x'.repeat(200)}…(+800 chars)"`);
    assert.ok(quoteClientValue({ type: 'y'.repeat(1000) }).length < 250);
    assert.equal(quoteClientValue(5), '5');
  });
});
