import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapAnthropicStopReason } from '../../../providers/anthropic/map-anthropic-stop-reason.ts';

test("maps each of Anthropic's stop reasons to the protocol's finish reason", () => {
  const expected = {
    end_turn: 'stop',
    stop_sequence: 'stop',
    pause_turn: 'stop',
    max_tokens: 'length',
    model_context_window_exceeded: 'length',
    tool_use: 'tool_calls',
    refusal: 'content_filter',
  };
  for (const [stopReason, finishReason] of Object.entries(expected)) {
    assert.equal(mapAnthropicStopReason(stopReason), finishReason, stopReason);
  }
});

test('treats a missing or unknown stop reason as a plain stop', () => {
  assert.equal(mapAnthropicStopReason(null), 'stop');
  assert.equal(mapAnthropicStopReason('some_future_reason'), 'stop');
});
