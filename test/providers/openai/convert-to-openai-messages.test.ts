import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertToOpenAiMessages } from '../../../providers/openai/convert-to-openai-messages.ts';

test('system, user and plain assistant messages keep their role, content and name', () => {
  assert.deepEqual(
    convertToOpenAiMessages([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi', name: 'ada' },
      { role: 'assistant', content: 'Hello!' },
    ]),
    [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi', name: 'ada' },
      { role: 'assistant', content: 'Hello!' },
    ],
  );
});

test('an assistant message with text and tool calls keeps both', () => {
  assert.deepEqual(
    convertToOpenAiMessages([
      {
        role: 'assistant',
        content: 'Let me check.',
        toolCalls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }],
      },
    ]),
    [
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }],
      },
    ],
  );
});

test('a tool result names the call it answers', () => {
  assert.deepEqual(convertToOpenAiMessages([{ role: 'tool', content: '42', toolCallId: 'call_1' }]), [
    { role: 'tool', content: '42', tool_call_id: 'call_1' },
  ]);
});
