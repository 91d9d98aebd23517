import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { it } from 'node:test';
import { abortWhen } from '../../../src/pipeline/abort-signal-promise.ts';

it("aborts every linked controller with the signal's reason, and leaves an unlinked one alone", () => {
  const stop = new AbortController();
  const first = new AbortController();
  const second = new AbortController();
  const third = new AbortController();
  abortWhen(stop.signal, first);
  const unlinkSecond = abortWhen(stop.signal, second);
  abortWhen(stop.signal, third);
  unlinkSecond();
  stop.abort('shutting down');
  assert.equal(first.signal.reason, 'shutting down');
  assert.equal(third.signal.reason, 'shutting down');
  assert.equal(second.signal.aborted, false);
});

it('aborts a controller linked after the signal aborted at once', () => {
  const stop = new AbortController();
  stop.abort('shutting down');
  const late = new AbortController();
  const unlink = abortWhen(stop.signal, late);
  assert.equal(late.signal.reason, 'shutting down');
  unlink();
});

it('keeps one listener on a signal however many controllers follow it', () => {
  const stop = new AbortController();
  const unlinks = Array.from({ length: 100 }, () => abortWhen(stop.signal, new AbortController()));
  assert.equal(getEventListeners(stop.signal, 'abort').length, 1);
  for (const unlink of unlinks) unlink();
  const after = new AbortController();
  abortWhen(stop.signal, after);
  assert.equal(getEventListeners(stop.signal, 'abort').length, 1);
  stop.abort('done');
  assert.equal(after.signal.reason, 'done');
});

it("lets an aborted follower unlink others while the signal's followers are being aborted", () => {
  const stop = new AbortController();
  const first = new AbortController();
  const second = new AbortController();
  abortWhen(stop.signal, first);
  const unlinkSecond = abortWhen(stop.signal, second);
  first.signal.addEventListener('abort', unlinkSecond);
  stop.abort('stop');
  assert.equal(first.signal.aborted, true);
  assert.equal(second.signal.aborted, false);
});
