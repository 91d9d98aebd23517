import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCoalescingHub } from '../../../src/cache/coalescing-hub.ts';
import { streamSource, subscriptionSource } from '../../../src/pipeline/part-source.ts';
import type { SourceItem } from '../../../src/spec/source-item.ts';
import type { StreamPart } from '../../../src/spec/stream-part.ts';

const text = (value: string): StreamPart => ({ type: 'text-delta', text: value });
const finish: StreamPart = {
  type: 'finish',
  finishReason: 'stop',
  usage: { inputTokens: 3, outputTokens: 2 },
};

/** A stream whose reads are each answered by the test (before or after they are made), counting them. */
function controlledStream() {
  const pending: Array<PromiseWithResolvers<IteratorResult<StreamPart>>> = [];
  const early = new Map<number, IteratorResult<StreamPart>>();
  let returned = false;
  const stream: AsyncIterable<StreamPart> = {
    [Symbol.asyncIterator]: () => ({
      next() {
        const read = Promise.withResolvers<IteratorResult<StreamPart>>();
        const answer = early.get(pending.length);
        if (answer) read.resolve(answer);
        pending.push(read);
        return read.promise;
      },
      async return() {
        returned = true;
        return { done: true, value: undefined };
      },
    }),
  };
  return {
    stream,
    reads: () => pending.length,
    answer(index: number, result: IteratorResult<StreamPart>) {
      if (pending[index]) pending[index].resolve(result);
      else early.set(index, result);
    },
    fail: (index: number, error: Error) => pending[index]!.reject(error),
    returned: () => returned,
  };
}

/** Reads a source to its end the way the relay stage does, returning the parts and whether it was over. */
async function readAll(source: ReturnType<typeof streamSource>) {
  const parts: StreamPart[] = [];
  for (;;) {
    const part = source.take();
    if (part === undefined) {
      if (source.over()) return { parts, over: true };
      await source.changed();
      continue;
    }
    parts.push(part);
    if (part.type === 'finish' || part.type === 'error') return { parts, over: false };
  }
}

describe('streamSource: a stream of the request’s own as a part source', () => {
  it('reads nothing ahead: one read is asked for only once the part before it was taken', async () => {
    const upstream = controlledStream();
    const source = streamSource(upstream.stream, new AbortController().signal, new AbortController());
    assert.equal(source.take(), undefined, 'nothing is there before the first read answers');
    assert.equal(source.take(), undefined);
    assert.equal(upstream.reads(), 1, 'asking again while a read is in flight starts no second one');
    upstream.answer(0, { done: false, value: text('Hi') });
    await source.changed();
    assert.equal(upstream.reads(), 1);
    assert.deepEqual(source.take(), text('Hi'));
    assert.equal(source.take(), undefined);
    assert.equal(upstream.reads(), 2, 'the next read starts when the relay asks for the next part');
    source.dispose();
  });

  it('ends a pending wait at once when the client aborts, and is then over', async () => {
    const upstream = controlledStream();
    const client = new AbortController();
    const source = streamSource(upstream.stream, client.signal, new AbortController());
    const reading = readAll(source);
    client.abort('cancelled by the client');
    assert.deepEqual(await reading, { parts: [], over: true });
    source.stop();
    assert.equal(upstream.returned(), true, 'stopping returns the stream');
    source.dispose();
  });

  it('ends a pending wait when its upstream is aborted too (a timeout, the server stopping)', async () => {
    const upstream = controlledStream();
    const call = new AbortController();
    const source = streamSource(upstream.stream, new AbortController().signal, call);
    const reading = readAll(source);
    call.abort(new Error('timed out'));
    assert.deepEqual(await reading, { parts: [], over: true });
    source.dispose();
  });

  it('turns a stream that ends without a finish or error into an internal error part', async () => {
    const upstream = controlledStream();
    const source = streamSource(upstream.stream, new AbortController().signal, new AbortController());
    const reading = readAll(source);
    upstream.answer(0, { done: true, value: undefined });
    const { parts } = await reading;
    assert.equal(parts.length, 1);
    const [part] = parts;
    assert.equal(part?.type, 'error');
    assert.equal(part?.type === 'error' && part.error.code, 'internal');
    source.dispose();
  });

  it('throws what a failed read threw from the next take', async () => {
    const upstream = controlledStream();
    const source = streamSource(upstream.stream, new AbortController().signal, new AbortController());
    const reading = readAll(source);
    upstream.fail(0, new Error('the socket broke'));
    await assert.rejects(reading, /the socket broke/);
    source.dispose();
  });

  it('drains the rest after a cancel, the interrupted read included, and resolves with the reported usage', async () => {
    const upstream = controlledStream();
    const client = new AbortController();
    const call = new AbortController();
    const source = streamSource(upstream.stream, client.signal, call);
    const reading = readAll(source);
    client.abort('cancelled by the client');
    await reading;
    const drained: StreamPart[] = [];
    const usage = source.drain!(60_000, (part) => drained.push(part));
    upstream.answer(1, { done: false, value: finish });
    upstream.answer(0, { done: false, value: text('rest') });
    assert.deepEqual(await usage, { inputTokens: 3, outputTokens: 2 });
    assert.deepEqual(drained, [text('rest')], 'the read the cancel interrupted was not lost');
    assert.equal(call.signal.aborted, true, 'the upstream is let go once drained');
    source.dispose();
  });
});

describe('subscriptionSource: a shared call as a part source', () => {
  it('reads the published parts through the terminal one, and is over once the request left', async () => {
    const hub = createCoalescingHub<SourceItem>();
    const broadcast = hub.lead('key', { upstream: new AbortController() })!;
    const joined = hub.join('key')!;
    const source = subscriptionSource(joined);
    const leader = subscriptionSource(broadcast.subscription);
    broadcast.publish(text('Hi'));
    broadcast.end(finish);
    assert.deepEqual(source.take(), text('Hi'));
    assert.deepEqual(source.take(), finish);
    assert.equal(source.over(), true);
    assert.equal(source.drain, undefined, 'a shared call cannot be drained by one of its readers');
    leader.stop();
    assert.equal(leader.take(), undefined);
    assert.equal(leader.over(), true, 'a request that left its shared call reads nothing more');
  });
});
