import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { convertToAnthropicMessages } from '../../../providers/anthropic/convert-to-anthropic-messages.ts';
import { GatewayError } from '../../../src/errors/gateway-error.ts';
import type { ChatMessage } from '../../../src/spec/chat-request.ts';

function toolCall(id: string, name: string, args: string) {
  return { id, type: 'function' as const, function: { name, arguments: args } };
}

describe('convertToAnthropicMessages', () => {
  test('gathers every system message into the system prompt, in order', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'system', content: 'Answer in French.' },
    ];
    assert.deepEqual(convertToAnthropicMessages(messages), {
      system: [
        { type: 'text', text: 'Be brief.' },
        { type: 'text', text: 'Answer in French.' },
      ],
      messages: [{ role: 'user', content: 'Hi' }],
    });
  });

  test('leaves the system prompt out when there is none', () => {
    const { system } = convertToAnthropicMessages([{ role: 'user', content: 'Hi' }]);
    assert.equal(system, undefined);
  });

  test('merges consecutive messages of one role into one turn', () => {
    const { messages } = convertToAnthropicMessages([
      { role: 'user', content: 'One' },
      { role: 'user', content: 'Two' },
      { role: 'assistant', content: 'Three' },
      { role: 'assistant', content: 'Four' },
    ]);
    assert.deepEqual(messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'One' },
          { type: 'text', text: 'Two' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Three' },
          { type: 'text', text: 'Four' },
        ],
      },
    ]);
  });

  test('turns assistant tool calls into tool_use blocks with parsed input', () => {
    const { messages } = convertToAnthropicMessages([
      { role: 'user', content: 'Weather in Paris and Oslo?' },
      {
        role: 'assistant',
        content: 'Let me look.',
        toolCalls: [
          toolCall('toolu_1', 'get_weather', '{"city":"Paris"}'),
          toolCall('toolu_2', 'get_time', ''),
        ],
      },
    ]);
    assert.deepEqual(messages[1], {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Let me look.' },
        { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: {} },
      ],
    });
  });

  test('sends no empty text block for an assistant turn that only calls tools', () => {
    const { messages } = convertToAnthropicMessages([
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: '', toolCalls: [toolCall('toolu_1', 'get_weather', '{}')] },
    ]);
    assert.deepEqual(messages[1], {
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }],
    });
  });

  test('sends consecutive tool results as one user turn, followed by the next user text', () => {
    const { messages } = convertToAnthropicMessages([
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [toolCall('toolu_1', 'get_weather', '{}'), toolCall('toolu_2', 'get_weather', '{}')],
      },
      { role: 'tool', toolCallId: 'toolu_1', content: 'Sunny' },
      { role: 'tool', toolCallId: 'toolu_2', content: 'Rain' },
      { role: 'user', content: 'Thanks' },
    ]);
    assert.deepEqual(messages[2], {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny' },
        { type: 'tool_result', tool_use_id: 'toolu_2', content: 'Rain' },
        { type: 'text', text: 'Thanks' },
      ],
    });
    assert.equal(messages.length, 3);
  });

  test('rejects tool call arguments that are not a JSON object, as a bad request', () => {
    for (const args of ['{"city":', '[1,2]', '"Paris"']) {
      assert.throws(
        () =>
          convertToAnthropicMessages([
            { role: 'assistant', content: '', toolCalls: [toolCall('toolu_1', 'get_weather', args)] },
          ]),
        (error) =>
          error instanceof GatewayError && error.code === 'bad_request' && error.message.includes('toolu_1'),
      );
    }
  });

  test('rejects a tool message without the id of its call, as a bad request', () => {
    assert.throws(
      () => convertToAnthropicMessages([{ role: 'tool', content: 'Sunny' }]),
      (error) => error instanceof GatewayError && error.code === 'bad_request',
    );
  });
});
