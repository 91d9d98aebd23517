import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createBlockedTerms } from '../../../src/hooks/builtin/blocked-terms.ts';
import type { PreHookRejection } from '../../../src/hooks/hook-types.ts';
import { requestContext, runThrough, textOf, textParts } from './hook-test-kit.ts';

const ask = (content: string) => requestContext({ messages: [{ role: 'user', content }] });

it('refuses a request holding a blocked term with forbidden, without naming the term', () => {
  const hook = createBlockedTerms({ terms: ['Project Nightjar'] });
  const result = hook.pre!(ask('Tell me about project NIGHTJAR please')) as PreHookRejection;
  assert.deepEqual(result, { reject: { code: 'forbidden', message: 'the request contains a blocked term' } });
  assert.doesNotMatch(result.reject.message, /nightjar/i);
});

it('refuses with the configured code and message', () => {
  const hook = createBlockedTerms({ terms: ['secret'], code: 'bad_request', message: 'not allowed here' });
  assert.deepEqual(hook.pre!(ask('a secret')), {
    reject: { code: 'bad_request', message: 'not allowed here' },
  });
});

it('checks every message, and lets a request without the terms through', () => {
  const hook = createBlockedTerms({ terms: ['secret'] });
  const context = requestContext({
    messages: [
      { role: 'system', content: 'keep the secret' },
      { role: 'user', content: 'hello' },
    ],
  });
  assert.ok(hook.pre!(context));
  assert.equal(hook.pre!(ask('hello there')), undefined);
});

it('matches whole words by default and anywhere with match: substring', () => {
  const words = createBlockedTerms({ terms: ['ban'] });
  assert.equal(words.pre!(ask('a banner and a turban')), undefined);
  assert.ok(words.pre!(ask('a ban, then')));
  const anywhere = createBlockedTerms({ terms: ['ban'], match: 'substring' });
  assert.ok(anywhere.pre!(ask('a banner')));
});

it('leaves the output alone unless stream is on', () => {
  assert.equal(createBlockedTerms({ terms: ['x'] }).stream, undefined);
  assert.equal(createBlockedTerms({ terms: ['x'], input: false }).pre, undefined);
});

it('masks a blocked term split across deltas in the output, and not a longer word that starts with it', () => {
  const hook = createBlockedTerms({ terms: ['forbidden', 'ban'], stream: true });
  const masked = runThrough(
    hook.stream!(requestContext())!,
    textParts('this is for', 'bid', 'DEN stuff, ba', 'n.'),
  );
  assert.equal(textOf(masked), 'this is [blocked] stuff, [blocked].');
  const kept = runThrough(
    hook.stream!(requestContext())!,
    textParts('a ba', 'n', 'ner and a ur', 'ban legend'),
  );
  assert.equal(textOf(kept), 'a banner and a urban legend');
});

it('masks with the configured mask', () => {
  const hook = createBlockedTerms({ terms: ['darn'], stream: true, mask: '****' });
  assert.equal(
    textOf(runThrough(hook.stream!(requestContext())!, textParts('oh d', 'arn it'))),
    'oh **** it',
  );
});
