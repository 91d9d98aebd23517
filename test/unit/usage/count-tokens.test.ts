import assert from 'node:assert/strict';
import test from 'node:test';
import { watchPackageLoads } from '../watch-package-loads.ts';

// Watched before the module under test is imported: each test file runs in a process of its own.
const tokenizer = watchPackageLoads('gpt-tokenizer');
const { countMessageTokens, countTextTokens } = await import('../../../src/usage/count-tokens.ts');

test('the tokenizer is loaded at the first count, not when the module is imported', () => {
  assert.equal(tokenizer.loaded(), false);
  assert.equal(countTextTokens(''), 0);
  assert.equal(tokenizer.loaded(), false, 'an empty text needs no tokenizer');
  assert.equal(countTextTokens('Hello, world!'), 4);
  assert.equal(tokenizer.loaded(), true);
});

test('a conversation counts its texts plus the chat format framing', () => {
  const messages = [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: 'Hello, world!' },
  ];
  assert.equal(countMessageTokens(messages), 3 + (4 + 3) + (4 + 4));
});

test('tool calls in the history are counted by name and arguments', () => {
  const call = {
    id: 'call_1',
    type: 'function' as const,
    function: { name: 'weather', arguments: '{"city":"Paris"}' },
  };
  const withCall = [{ role: 'assistant' as const, content: '', toolCalls: [call] }];
  const without = [{ role: 'assistant' as const, content: '' }];
  assert.equal(
    countMessageTokens(withCall) - countMessageTokens(without),
    countTextTokens('weather') + countTextTokens('{"city":"Paris"}'),
  );
});
