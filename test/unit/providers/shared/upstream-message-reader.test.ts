import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mapFinishReason } from '../../../../providers/shared/map-finish-reason.ts';
import { createUpstreamMessageReader } from '../../../../providers/shared/upstream-message-reader.ts';

describe('createUpstreamMessageReader', () => {
  test('with an empty text_path, a JSON object is read for its other fields and is not text', () => {
    const reader = createUpstreamMessageReader({
      text_path: '',
      output_tokens_path: '/usage/out',
      finish_reason_path: '/end',
    });
    assert.deepEqual(reader.read('token').parts, [{ type: 'text-delta', text: 'token' }]);
    assert.deepEqual(reader.read('null').parts, [{ type: 'text-delta', text: 'null' }]);
    assert.deepEqual(reader.read('{"usage":{"out":4},"end":"stop"}').parts, []);
    assert.deepEqual(reader.read('["a"]').parts, []);
    assert.equal(reader.hasFinishReason, true);
    assert.deepEqual(reader.finish(), {
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: undefined, outputTokens: 4 },
    });
  });

  test('keeps usage unknown unless a message reports a non-negative number', () => {
    const reader = createUpstreamMessageReader({
      text_path: '/t',
      input_tokens_path: '/in',
      output_tokens_path: '/out',
    });
    reader.read('{"t":"a","in":"12","out":-1}');
    reader.read('{"t":"b","in":null}');
    assert.deepEqual(reader.finish(), {
      type: 'finish',
      finishReason: 'stop',
      usage: { inputTokens: undefined, outputTokens: undefined },
    });
  });

  test('ignores text that is not a non-empty string', () => {
    const reader = createUpstreamMessageReader({ text_path: '/t' });
    for (const data of ['{"t":null}', '{"t":""}', '{"t":7}', '{"t":{"x":1}}', '{}', 'plain']) {
      assert.deepEqual(reader.read(data).parts, [], data);
    }
  });

  test('a message with the error member is an error, described by error_message_path when present', () => {
    const reader = createUpstreamMessageReader({
      text_path: '/t',
      error_path: '/error',
      error_message_path: '/error/message',
    });
    assert.equal(
      reader.read('{"error":{"message":"overloaded"}}').error?.message,
      'upstream reported an error: overloaded',
    );
    assert.equal(
      reader.read('{"error":{"code":529}}').error?.message,
      'upstream reported an error: {"code":529}',
    );
    assert.equal(reader.read('{"t":"fine"}').error, undefined);
    assert.equal(reader.describeError('{"error":{"message":"busy"}}'), 'busy');
    assert.equal(reader.describeError('<html>Bad Gateway</html>'), '<html>Bad Gateway</html>');
    assert.equal(reader.describeError('x'.repeat(2000)).length, 500);
  });
});

describe('mapFinishReason', () => {
  test('maps the common spellings of every provider to the protocol, and anything else to stop', () => {
    const expectations = {
      stop: 'stop',
      end_turn: 'stop',
      STOP: 'stop',
      length: 'length',
      max_tokens: 'length',
      MAX_TOKENS: 'length',
      tool_calls: 'tool_calls',
      tool_use: 'tool_calls',
      content_filter: 'content_filter',
      SAFETY: 'content_filter',
      something_new: 'stop',
    };
    for (const [upstream, expected] of Object.entries(expectations))
      assert.equal(mapFinishReason(upstream), expected, upstream);
  });
});
