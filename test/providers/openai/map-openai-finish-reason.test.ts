import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapOpenAiFinishReason } from '../../../providers/openai/map-openai-finish-reason.ts';

test("OpenAI's finish reasons map to the protocol's", () => {
  assert.equal(mapOpenAiFinishReason('stop'), 'stop');
  assert.equal(mapOpenAiFinishReason('length'), 'length');
  assert.equal(mapOpenAiFinishReason('tool_calls'), 'tool_calls');
  assert.equal(mapOpenAiFinishReason('function_call'), 'tool_calls');
  assert.equal(mapOpenAiFinishReason('content_filter'), 'content_filter');
});

test("a compatible server's own finish reason counts as a normal stop", () => {
  assert.equal(mapOpenAiFinishReason('eos'), 'stop');
});
