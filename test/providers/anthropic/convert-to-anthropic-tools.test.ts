import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertToAnthropicTools } from '../../../providers/anthropic/convert-to-anthropic-tools.ts';

test('turns OpenAI function tools into name, description and input_schema', () => {
  const parameters = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
  assert.deepEqual(
    convertToAnthropicTools([
      { type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters } },
    ]),
    [{ name: 'get_weather', description: 'Weather now', input_schema: parameters }],
  );
});

test('gives a tool without parameters the empty object schema Anthropic requires', () => {
  assert.deepEqual(convertToAnthropicTools([{ type: 'function', function: { name: 'get_time' } }]), [
    { name: 'get_time', input_schema: { type: 'object', properties: {} } },
  ]);
});
