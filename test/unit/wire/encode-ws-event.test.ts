import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDeltaEncoder } from '../../../src/wire/encode-ws-event.ts';

describe('createDeltaEncoder', () => {
  it('writes each kind of delta as the protocol says, escaping ids and text', () => {
    const encode = createDeltaEncoder('a"1\\');
    assert.deepEqual(JSON.parse(encode(1, { type: 'text-delta', text: 'He said "hi"\n👋' })), {
      type: 'delta',
      id: 'a"1\\',
      seq: 1,
      text: 'He said "hi"\n👋',
    });
    assert.deepEqual(JSON.parse(encode(2, { type: 'reasoning-delta', text: 'hmm' })), {
      type: 'delta',
      id: 'a"1\\',
      seq: 2,
      reasoning: 'hmm',
    });
    assert.deepEqual(
      JSON.parse(
        encode(3, { type: 'tool-call-delta', index: 0, id: 'c1', name: 'f', argumentsDelta: '{"q":' }),
      ),
      {
        type: 'delta',
        id: 'a"1\\',
        seq: 3,
        tool_call: { index: 0, id: 'c1', name: 'f', arguments: '{"q":' },
      },
    );
    assert.deepEqual(JSON.parse(encode(4, { type: 'tool-call-delta', index: 1, argumentsDelta: '1}' })), {
      type: 'delta',
      id: 'a"1\\',
      seq: 4,
      tool_call: { index: 1, arguments: '1}' },
    });
  });
});
