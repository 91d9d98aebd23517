import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type CacheKeyInput, cacheKey } from '../../../src/cache/cache-key.ts';

const base: CacheKeyInput = {
  route: 'fast',
  targets: [{ provider: 'openai', model: 'gpt-4o-mini', params: { temperature: 0 } }],
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
  ],
  tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
  temperature: 0,
  topP: 1,
  maxTokens: 100,
  stop: ['\n\n'],
};

it('gives the same 64-digit hex key for the same request every time', () => {
  const key = cacheKey(base);
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(cacheKey(structuredClone(base)), key);
});

it('does not depend on the order of object keys, at any depth', () => {
  const reordered: CacheKeyInput = {
    stop: ['\n\n'],
    maxTokens: 100,
    topP: 1,
    temperature: 0,
    tools: [{ function: { parameters: { type: 'object' }, name: 'weather' }, type: 'function' }],
    messages: [
      { content: 'Be brief.', role: 'system' },
      { content: 'Hi', role: 'user' },
    ],
    targets: [{ params: { temperature: 0 }, model: 'gpt-4o-mini', provider: 'openai' }],
    route: 'fast',
  };
  assert.equal(cacheKey(reordered), cacheKey(base));
});

it('treats an undefined field like an absent one', () => {
  const { topP: _topP, ...withoutTopP } = base;
  assert.equal(cacheKey({ ...withoutTopP, topP: undefined }), cacheKey(withoutTopP));
  const message = { role: 'user' as const, content: 'Hi', name: undefined };
  assert.equal(
    cacheKey({ ...base, messages: [message] }),
    cacheKey({ ...base, messages: [{ role: 'user', content: 'Hi' }] }),
  );
});

it('ignores fields that do not decide the reply, such as the request id and metadata', () => {
  const passenger = { ...base, id: 'a1', metadata: { team: 'x' }, cache: 'refresh' } as CacheKeyInput;
  assert.equal(cacheKey(passenger), cacheKey(base));
});

it('gives another key when anything that decides the reply differs', () => {
  const variants: Record<string, CacheKeyInput> = {
    route: { ...base, route: 'smart' },
    provider: { ...base, targets: [{ ...base.targets[0]!, provider: 'azure' }] },
    model: { ...base, targets: [{ ...base.targets[0]!, model: 'gpt-4o' }] },
    'target params': { ...base, targets: [{ ...base.targets[0]!, params: { temperature: 1 } }] },
    'a second target': { ...base, targets: [...base.targets, { provider: 'local', model: 'llama' }] },
    'message content': { ...base, messages: [base.messages[0]!, { role: 'user', content: 'Hi!' }] },
    'message role': { ...base, messages: [base.messages[0]!, { role: 'assistant', content: 'Hi' }] },
    'message order': { ...base, messages: [base.messages[1]!, base.messages[0]!] },
    'a tool call id': { ...base, messages: [base.messages[0]!, { ...base.messages[1]!, toolCallId: 'c1' }] },
    tools: { ...base, tools: undefined },
    'tool parameters': {
      ...base,
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'string' } } }],
    },
    temperature: { ...base, temperature: 0.5 },
    topP: { ...base, topP: 0.9 },
    maxTokens: { ...base, maxTokens: 101 },
    stop: { ...base, stop: ['END'] },
    'no stop': { ...base, stop: undefined },
  };
  const keys = new Map<string, string>([['base', cacheKey(base)]]);
  for (const [name, variant] of Object.entries(variants)) {
    const key = cacheKey(variant);
    for (const [otherName, otherKey] of keys)
      assert.notEqual(key, otherKey, `${name} collides with ${otherName}`);
    keys.set(name, key);
  }
});

it('keeps a "__proto__" key in tool parameters apart from its absence', () => {
  const parameters = JSON.parse('{"type":"object","__proto__":{"x":1}}') as Record<string, unknown>;
  const withProto: CacheKeyInput = {
    ...base,
    tools: [{ type: 'function', function: { name: 'weather', parameters } }],
  };
  assert.notEqual(cacheKey(withProto), cacheKey(base));
});
