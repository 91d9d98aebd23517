import assert from 'node:assert/strict';
import { it } from 'node:test';
import { redactPii } from '../../../src/hooks/builtin/find-pii.ts';
import { createPiiRedactor } from '../../../src/hooks/builtin/pii-redactor.ts';
import type { PreHookChanges, StreamTransform } from '../../../src/hooks/hook-types.ts';
import type { OutputPart } from '../../../src/spec/stream-part.ts';
import { requestContext, runThrough, textOf, textParts } from './hook-test-kit.ts';

const streamRedactor = (options: Record<string, unknown> = {}): StreamTransform =>
  createPiiRedactor(options).stream!(requestContext())!;

/** Pushes `text` through a fresh redactor in deltas of `size` characters; returns what the client sees. */
function streamInPieces(text: string, size: number, options: Record<string, unknown> = {}): string {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return textOf(runThrough(streamRedactor(options), textParts(...pieces)));
}

const email = 'john.doe@example.com';

it('redacts an email split across three deltas, holding back no more than its window', () => {
  const windowChars = 40;
  const transform = streamRedactor({ window_chars: windowChars });
  let pushed = '';
  let released = '';
  const held: number[] = [];
  for (const delta of ['write to jo', 'hn.doe@exam', 'ple.com now']) {
    pushed += delta;
    released += textOf(transform.push({ type: 'text-delta', text: delta }));
    assert.doesNotMatch(released, /jo|hn|doe|exam|ple\.com/);
    // What the released text stands for in the model's own text: the email in place of its token.
    held.push(pushed.length - released.replace('[email]', email).length);
  }
  for (const length of held) assert.ok(length <= windowChars, `held ${length} > ${windowChars}`);
  // A complete email is released at once; only what follows it waits.
  assert.deepEqual(held, [11, 22, 4]);
  released += textOf(transform.flush());
  assert.equal(released, 'write to [email] now');
});

it('redacts the email split across three deltas with the default window too', () => {
  const parts = runThrough(streamRedactor(), textParts('write to jo', 'hn.doe@exam', 'ple.com now'));
  assert.equal(textOf(parts), 'write to [email] now');
});

it('releases text older than its window and holds back at most window_chars at every step', () => {
  const transform = streamRedactor();
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(10);
  let pushed = 0;
  let released = '';
  for (let start = 0; start < text.length; start += 7) {
    const delta = text.slice(start, start + 7);
    pushed += delta.length;
    released += textOf(transform.push({ type: 'text-delta', text: delta }));
    assert.ok(pushed - released.length <= 64, `held ${pushed - released.length} characters`);
  }
  assert.ok(released.length >= text.length - 64);
  assert.equal(released + textOf(transform.flush()), text);
});

it('redacts phone numbers in the international, North American and national shapes', () => {
  const text = 'Call +1 555 123 4567, (555) 123-4567, +44 20 7946 0958 or 020 7946 0958 today.';
  const expected = 'Call [phone], [phone], [phone] or [phone] today.';
  assert.equal(redactPii(text, new Set(['phone'])), expected);
  for (const size of [1, 3, 8]) assert.equal(streamInPieces(text, size), expected);
});

it('redacts a Luhn-valid card number and leaves an invalid one, dates and ordinary numbers alone', () => {
  const text =
    'Card 4111 1111 1111 1111 12/25, 5500-0000-0000-0004, 378282246310005, ref 12 4111111111111111; ' +
    'not 4111 1111 1111 1112.';
  const expected = 'Card [card] 12/25, [card], [card], ref 12 [card]; not 4111 1111 1111 1112.';
  for (const size of [1, 5, 200]) assert.equal(streamInPieces(text, size), expected);
  const ordinary =
    'Order 12345678 shipped on 2024-01-15 10:30, 1,000,000 units, invoice 4111111111111112, ' +
    'years 2019 2020 2021 2022 2023 2024 2025.';
  assert.equal(streamInPieces(ordinary, 3), ordinary);
});

it('redacts API-key-shaped strings: OpenAI, Anthropic, AWS, GitHub and bearer tokens', () => {
  const text = [
    'openai sk-proj-AbCdEf0123456789AbCdEf0123',
    'anthropic sk-ant-api03-AbCdEf0123456789_AbCdEf-0123',
    'aws AKIAIOSFODNN7EXAMPLE',
    'github ghp_AbCdEf0123456789AbCdEf0123456789AbCd',
    'header Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl',
  ].join('\n');
  const expected = [
    'openai [key]',
    'anthropic [key]',
    'aws [key]',
    'github [key]',
    'header Authorization: Bearer [key]',
  ].join('\n');
  for (const size of [1, 4, 9, 1000]) assert.equal(streamInPieces(text, size), expected);
});

it('redacts a key longer than its window and drops the rest of it as it streams in', () => {
  const key = `sk-${'a1B2c3D4e5'.repeat(12)}`;
  const transform = streamRedactor({ window_chars: 40 });
  const pieces = `token ${key} end`.match(/.{1,7}/gs)!;
  let released = '';
  for (const piece of pieces) {
    released += textOf(transform.push({ type: 'text-delta', text: piece }));
    assert.doesNotMatch(released, /sk-|a1B2/);
  }
  assert.equal(released + textOf(transform.flush()), 'token [key] end');
});

it('gives the same output however the text is split into deltas', () => {
  const text = `Hi, I am ${email} (+1 555 123 4567); card 4111-1111-1111-1111; key sk-ant-${'x'.repeat(30)}. Thanks!`;
  const whole = redactPii(text, new Set(['email', 'phone', 'card', 'key']));
  assert.equal(whole, 'Hi, I am [email] ([phone]); card [card]; key [key]. Thanks!');
  for (let size = 1; size <= 12; size += 1)
    assert.equal(streamInPieces(text, size), whole, `deltas of ${size}`);
});

it('redacts reasoning too, passes tool calls through and keeps the parts in order', () => {
  const toolCall: OutputPart = {
    type: 'tool-call-delta',
    index: 0,
    name: 'send',
    argumentsDelta: '{"to":"a"}',
  };
  const parts = runThrough(streamRedactor(), [
    { type: 'reasoning-delta', text: `mail ${email.slice(0, 6)}` },
    { type: 'reasoning-delta', text: email.slice(6) },
    { type: 'text-delta', text: 'done' },
    toolCall,
  ]);
  assert.deepEqual(parts, [
    { type: 'reasoning-delta', text: 'mail [email]' },
    { type: 'text-delta', text: 'done' },
    toolCall,
  ]);
});

it('leaves reasoning alone when reasoning is off', () => {
  const parts = runThrough(streamRedactor({ reasoning: false }), [{ type: 'reasoning-delta', text: email }]);
  assert.deepEqual(parts, [{ type: 'reasoning-delta', text: email }]);
});

it('redacts only the configured kinds', () => {
  const text = `${email} +1 555 123 4567`;
  assert.equal(streamInPieces(text, 4, { kinds: ['phone'] }), `${email} [phone]`);
});

it('rewrites the contents of the request messages on input, and keeps unchanged messages as they were', () => {
  const hook = createPiiRedactor({});
  const system = { role: 'system' as const, content: 'Be brief.' };
  const context = requestContext({
    messages: [system, { role: 'user', content: `I am ${email}, call +1 555 123 4567` }],
  });
  const changes = hook.pre!(context) as PreHookChanges;
  assert.deepEqual(changes.messages, [system, { role: 'user', content: 'I am [email], call [phone]' }]);
  assert.equal(changes.messages![0], system);
  assert.equal(hook.pre!(requestContext()), undefined);
});

it('joins only the stages it is configured for', () => {
  assert.equal(createPiiRedactor({ input: false }).pre, undefined);
  assert.equal(createPiiRedactor({ stream: false }).stream, undefined);
  assert.equal(typeof createPiiRedactor({}).pre, 'function');
  assert.equal(typeof createPiiRedactor({}).stream, 'function');
});
