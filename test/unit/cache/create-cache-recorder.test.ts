import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createCacheRecorder } from '../../../src/cache/create-cache-recorder.ts';
import type { FinishReason, OutputPart } from '../../../src/spec/stream-part.ts';

const parts: OutputPart[] = [
  { type: 'reasoning-delta', text: 'The user wants ' },
  { type: 'reasoning-delta', text: 'the weather.' },
  { type: 'text-delta', text: 'Let me check.' },
  { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'weather', argumentsDelta: '{"ci' },
  { type: 'tool-call-delta', index: 0, argumentsDelta: 'ty":"Oslo"}' },
  { type: 'tool-call-delta', index: 1, id: 'call_2', name: 'time', argumentsDelta: '{}' },
];

const usage = { inputTokens: 20, outputTokens: 11 };

/** Records the parts of a reply that started, then finishes it with the given reason. */
function recordReply(finishReason: FinishReason) {
  const recorder = createCacheRecorder();
  recorder.start({ model: 'gpt-4o-mini', provider: 'openai' });
  for (const part of parts) recorder.add(part);
  return recorder.finish(finishReason, usage);
}

it('yields the whole reply, reasoning, text and tool-call fragments in stream order, on a stop', () => {
  const before = Date.now();
  const reply = recordReply('stop');
  assert.ok(reply);
  const { createdAt, ...rest } = reply;
  assert.deepEqual(rest, {
    parts,
    finishReason: 'stop',
    usage,
    model: 'gpt-4o-mini',
    provider: 'openai',
  });
  assert.ok(createdAt >= before && createdAt <= Date.now());
});

it('yields a reply that finished with tool_calls or at max_tokens (length)', () => {
  assert.equal(recordReply('tool_calls')?.finishReason, 'tool_calls');
  assert.equal(recordReply('length')?.finishReason, 'length');
});

it('yields nothing for a cancelled, quota-cut or content-filtered reply', () => {
  for (const reason of ['cancelled', 'quota', 'content_filter'] as const) {
    assert.equal(recordReply(reason), undefined, reason);
  }
});

it('yields nothing once the reply failed, even if a finish follows', () => {
  const recorder = createCacheRecorder();
  recorder.start({ model: 'gpt-4o-mini', provider: 'openai' });
  recorder.add({ type: 'text-delta', text: 'Hel' });
  recorder.fail();
  assert.equal(recorder.finish('stop', usage), undefined);
});

it('yields nothing for a reply that never started', () => {
  const recorder = createCacheRecorder();
  recorder.add({ type: 'text-delta', text: 'Hello' });
  assert.equal(recorder.finish('stop', usage), undefined);
});

it('yields a reply only once', () => {
  const recorder = createCacheRecorder();
  recorder.start({ model: 'gpt-4o-mini', provider: 'openai' });
  recorder.add({ type: 'text-delta', text: 'Hello' });
  assert.ok(recorder.finish('stop', usage));
  recorder.add({ type: 'text-delta', text: ' again' });
  assert.equal(recorder.finish('stop', usage), undefined);
});

it('keeps only the usage figures, not extra fields of the usage it is given', () => {
  const recorder = createCacheRecorder();
  recorder.start({ model: 'gpt-4o-mini', provider: 'openai' });
  const reply = recorder.finish('stop', { ...usage, estimated: true } as typeof usage);
  assert.deepEqual(reply?.usage, usage);
});
