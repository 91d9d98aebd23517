import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutputPart } from '../../../src/spec/stream-part.ts';
import type { ConnectionSender } from '../../../src/ws-door/connection-sender.ts';
import { createDeltaMerger } from '../../../src/ws-door/delta-merger.ts';

/** A connection whose client reads only when the test says so. */
function slowConnection(highWater: number) {
  const frames: Array<Record<string, unknown>> = [];
  let buffered = 0;
  let drained = Promise.withResolvers<void>();
  let open = true;
  const sender: ConnectionSender = {
    send(text) {
      if (!open) return;
      frames.push(JSON.parse(text));
      buffered += text.length;
    },
    flushed: () => (buffered === 0 ? Promise.resolve() : drained.promise),
    buffered: () => buffered,
    isOpen: () => open,
  };
  return {
    sender,
    send: (text: string) => sender.send(text),
    frames,
    /** The client goes away. */
    close() {
      open = false;
    },
    /** The client reads everything queued. */
    async read() {
      buffered = 0;
      drained.resolve();
      drained = Promise.withResolvers<void>();
      await new Promise((resolve) => setImmediate(resolve));
    },
    highWater,
  };
}

const text = (value: string): OutputPart => ({ type: 'text-delta', text: value });

describe('delta merger', () => {
  it('sends one frame per part while the connection keeps up', () => {
    const connection = slowConnection(1_000_000);
    let seq = 0;
    const merger = createDeltaMerger({
      sender: connection.sender,
      send: connection.send,
      requestId: 'r',
      highWaterBytes: 1_000_000,
      mergeLimit: 100,
      nextSeq: () => ++seq,
    });
    for (const word of ['a', 'b', 'c']) assert.equal(merger.push(text(word)), undefined);
    assert.deepEqual(
      connection.frames.map((frame) => [frame.seq, frame.text]),
      [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ],
    );
  });

  it('merges the deltas of a client that reads more slowly than tokens arrive into fewer frames', async () => {
    const connection = slowConnection(200);
    let seq = 0;
    const merger = createDeltaMerger({
      sender: connection.sender,
      send: connection.send,
      requestId: 'r',
      highWaterBytes: 200,
      mergeLimit: 1000,
      nextSeq: () => ++seq,
    });
    const words = Array.from({ length: 300 }, (_, index) => ` w${index}`);
    for (const [index, word] of words.entries()) {
      const waiting = merger.push(text(word));
      if (waiting) await waiting;
      // The client reads once every 20 tokens.
      if (index % 20 === 19) await connection.read();
    }
    merger.flush();
    const deltas = connection.frames;
    assert.equal(deltas.map((frame) => frame.text).join(''), words.join(''), 'every token, in order');
    assert.ok(deltas.length < words.length / 4, `${deltas.length} frames for ${words.length} tokens`);
    assert.ok(
      deltas.every((frame, index) => frame.seq === index + 1),
      'seq stays contiguous',
    );
  });

  it('stops the caller once the merged text reaches its limit, and never merges a tool call', async () => {
    const connection = slowConnection(10);
    let seq = 0;
    const merger = createDeltaMerger({
      sender: connection.sender,
      send: connection.send,
      requestId: 'r',
      highWaterBytes: 10,
      mergeLimit: 6,
      nextSeq: () => ++seq,
    });
    assert.equal(merger.push(text('first')), undefined, 'sent at once: the buffer was empty');
    assert.equal(merger.push(text('abc')), undefined, 'merged');
    assert.equal(merger.push(text('def')), undefined, 'merged up to the limit');
    const waiting = merger.push(text('ghi'));
    assert.ok(waiting, 'past the limit the caller must wait');
    const toolCall: OutputPart = {
      type: 'tool-call-delta',
      index: 0,
      id: 'c1',
      name: 'f',
      argumentsDelta: '{}',
    };
    assert.ok(merger.push(toolCall), 'a tool-call fragment is never merged and waits for the drain');
    await connection.read();
    await waiting;
    assert.deepEqual(
      connection.frames.map((frame) => frame.text ?? (frame.tool_call as { name: string }).name),
      ['first', 'abcdef', 'ghi', 'f'],
    );
  });

  it('once the client is gone, sends every part on at once, after what was pending, for the resume log', () => {
    const connection = slowConnection(10);
    const logged: string[] = [];
    let seq = 0;
    const merger = createDeltaMerger({
      sender: connection.sender,
      send: (frame) => {
        connection.send(frame);
        logged.push(JSON.parse(frame).text);
      },
      requestId: 'r',
      highWaterBytes: 10,
      mergeLimit: 100,
      nextSeq: () => ++seq,
    });
    merger.push(text('first'));
    merger.push(text('a'));
    merger.push(text('b'));
    connection.close();
    assert.equal(merger.push(text('c')), undefined, 'nothing to wait for');
    assert.equal(merger.push(text('d')), undefined);
    assert.deepEqual(logged, ['first', 'ab', 'c', 'd']);
  });
});
