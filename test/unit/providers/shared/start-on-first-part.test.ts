import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startOnFirstPart } from '../../../../providers/shared/start-on-first-part.ts';
import type { StreamPart } from '../../../../src/spec/stream-part.ts';

/** An upstream iterator the test answers read by read, recording how often it was closed. */
function scriptedUpstream(first: StreamPart) {
  const reads: PromiseWithResolvers<IteratorResult<StreamPart>>[] = [];
  const upstream = {
    closed: 0,
    reads,
    [Symbol.asyncIterator]: () => upstream,
    next(): Promise<IteratorResult<StreamPart>> {
      if (reads.length === 0) {
        reads.push(Promise.withResolvers());
        return Promise.resolve({ done: false, value: first });
      }
      const read = Promise.withResolvers<IteratorResult<StreamPart>>();
      reads.push(read);
      return read.promise;
    },
    async return(): Promise<IteratorResult<StreamPart>> {
      upstream.closed++;
      return { done: true, value: undefined };
    },
  };
  return upstream;
}

const hello: StreamPart = { type: 'text-delta', text: 'Hel' };
const finish: StreamPart = {
  type: 'finish',
  finishReason: 'stop',
  usage: { inputTokens: 1, outputTokens: 2 },
};

describe('startOnFirstPart', () => {
  it('reads nothing more after the finish part and closes the upstream once the consumer asks again', async () => {
    const upstream = scriptedUpstream(hello);
    const parts = (await startOnFirstPart(upstream, new AbortController().signal))[Symbol.asyncIterator]();

    assert.deepEqual(await parts.next(), { done: false, value: hello });
    const second = parts.next();
    upstream.reads.at(-1)?.resolve({ done: false, value: finish });
    assert.deepEqual(await second, { done: false, value: finish });
    assert.equal(upstream.closed, 0);

    assert.deepEqual(await parts.next(), { done: true, value: undefined });
    assert.deepEqual(await parts.next(), { done: true, value: undefined });
    assert.equal(upstream.closed, 1);
    assert.equal(upstream.reads.length, 2);
  });

  it('a return() while a read is pending closes the upstream, and the read then ends the stream', async () => {
    const upstream = scriptedUpstream(hello);
    const parts = (await startOnFirstPart(upstream, new AbortController().signal))[Symbol.asyncIterator]();
    await parts.next();
    const pending = parts.next();

    assert.deepEqual(await parts.return?.(), { done: true, value: undefined });
    assert.equal(upstream.closed, 1);
    upstream.reads.at(-1)?.resolve({ done: true, value: undefined });
    assert.deepEqual(await pending, { done: true, value: undefined });
  });

  it('an upstream that stops without finishing ends with one upstream_error part, or quietly once aborted', async () => {
    for (const aborted of [false, true]) {
      const upstream = scriptedUpstream(hello);
      const controller = new AbortController();
      const parts = (await startOnFirstPart(upstream, controller.signal))[Symbol.asyncIterator]();
      await parts.next();
      const pending = parts.next();
      if (aborted) controller.abort();
      upstream.reads.at(-1)?.resolve({ done: true, value: undefined });

      const last = await pending;
      if (aborted) assert.deepEqual(last, { done: true, value: undefined });
      else assert.equal(last.value?.type === 'error' && last.value.error.code, 'upstream_error');
      assert.deepEqual(await parts.next(), { done: true, value: undefined });
      assert.equal(upstream.closed, 1);
    }
  });
});
