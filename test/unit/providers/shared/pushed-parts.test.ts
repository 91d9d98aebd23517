import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PushedParts } from '../../../../providers/shared/pushed-parts.ts';

/** Parts over a source that records what it was asked to do. */
function pushed(refusal?: Error) {
  const calls: string[] = [];
  const parts = new PushedParts<string>({
    start: () => {
      calls.push('start');
      return refusal && Promise.reject(refusal);
    },
    resume: () => calls.push('resume'),
    cancel: () => calls.push('cancel'),
  });
  return { parts, calls };
}

const part = (value: string) => ({ done: false, value });
const over = { done: true, value: undefined };

describe('PushedParts', () => {
  it('starts the source at the first next(), resumes it at each later wait, and answers the waiting next()', async () => {
    const { parts, calls } = pushed();
    assert.deepEqual(calls, []);
    const first = parts.next();
    parts.parts.push('a', 'b');
    parts.settle();
    assert.deepEqual(await first, part('a'));
    assert.deepEqual(await parts.next(), part('b'));
    const third = parts.next();
    parts.parts.push('c');
    parts.settle();
    assert.deepEqual(await third, part('c'));
    assert.deepEqual(calls, ['start', 'resume']);
  });

  it('a source that pushes while it starts or resumes answers that same next()', async () => {
    let parts: PushedParts<string>;
    const pushNow = (value: string) => {
      parts.parts.push(value);
      parts.settle();
    };
    parts = new PushedParts<string>({
      start: () => {
        pushNow('a');
        return undefined;
      },
      resume: () => pushNow('b'),
      cancel: () => {},
    });
    assert.deepEqual(await parts.next(), part('a'));
    assert.deepEqual(await parts.next(), part('b'));
  });

  it('a start the source refuses rejects the first next(), then ends', async () => {
    const { parts } = pushed(new Error('no body'));
    await assert.rejects(parts.next(), /no body/);
    assert.deepEqual(await parts.next(), over);
  });

  it('a failure after the first part is thrown after the parts pushed before it, once', async () => {
    const { parts } = pushed();
    const first = parts.next();
    parts.parts.push('a', 'b');
    parts.fail(new Error('connection reset'));
    parts.fail(new Error('a later failure'));
    parts.settle();
    assert.deepEqual(await first, part('a'));
    assert.deepEqual(await parts.next(), part('b'));
    await assert.rejects(parts.next(), /connection reset/);
    assert.deepEqual(await parts.next(), over);
  });

  it('return() before the end cancels the source and settles a waiting next()', async () => {
    const { parts, calls } = pushed();
    const waiting = parts.next();
    assert.deepEqual(await parts.return(), over);
    assert.deepEqual(await waiting, over);
    assert.deepEqual(await parts.next(), over);
    assert.deepEqual(calls, ['start', 'cancel']);
  });

  it('return() after the end leaves the source alone', async () => {
    const { parts, calls } = pushed();
    const first = parts.next();
    parts.end();
    parts.settle();
    assert.deepEqual(await first, over);
    await parts.return();
    assert.deepEqual(calls, ['start']);
  });

  it('a next() asked while another waits is answered after it', async () => {
    const { parts } = pushed();
    const first = parts.next();
    const second = parts.next();
    parts.parts.push('a', 'b');
    parts.settle();
    assert.deepEqual(await first, part('a'));
    assert.deepEqual(await second, part('b'));
  });
});
