import assert from 'node:assert/strict';
import { it } from 'node:test';
import { GatewayError } from '../../../src/errors/gateway-error.ts';
import { createFairQueue, type ReleaseSlot } from '../../../src/routing/create-fair-queue.ts';

const never = new AbortController().signal;

/** Lets the `then` callbacks of just-granted slots run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const queueOf = (maxConcurrency: number, maxQueueLength = 100, maxWaitMs = 60_000) =>
  createFairQueue({ name: 'main', maxConcurrency, maxQueueLength, maxWaitMs });

/** Asks for a slot and records, in `granted`, the label of each request as it gets one. */
function recorder(queue: ReturnType<typeof queueOf>) {
  const granted: string[] = [];
  const releases = new Map<string, ReleaseSlot>();
  const ask = (user: string, label: string, signal = never) =>
    queue.acquire(user, signal).then((release) => {
      granted.push(label);
      releases.set(label, release);
      return release;
    });
  const release = (label: string) => releases.get(label)!();
  return { granted, ask, release };
}

it('serves a single request of another user at the next freed slot, ahead of a burst of 50', async () => {
  const queue = queueOf(2);
  const { granted, ask, release } = recorder(queue);
  const burst = Array.from({ length: 50 }, (_, index) => ask('alice', `alice-${index}`));
  const single = ask('bob', 'bob');
  await settle();
  assert.deepEqual(granted, ['alice-0', 'alice-1']);
  assert.equal(queue.waiting(), 49);

  release('alice-0');
  await settle();
  assert.deepEqual(granted, ['alice-0', 'alice-1', 'bob']);
  await single;

  // Drain the rest, one freed slot at a time, so no waiter's timer is left behind.
  release('bob');
  for (let index = 1; index < 50; index += 1) {
    await burst[index];
    release(`alice-${index}`);
  }
  assert.deepEqual(
    granted.filter((label) => label.startsWith('alice')),
    burst.map((_, index) => `alice-${index}`),
  );
  assert.equal(queue.inFlight(), 0);
});

it('grants each user their own requests in the order they asked, taking turns between users', async () => {
  const queue = queueOf(1);
  const { granted, ask, release } = recorder(queue);
  const asked = [
    ask('alice', 'alice-0'),
    ask('alice', 'alice-1'),
    ask('alice', 'alice-2'),
    ask('bob', 'bob-0'),
    ask('bob', 'bob-1'),
  ];
  await settle();
  for (const label of ['alice-0', 'bob-0', 'alice-1', 'bob-1']) {
    release(label);
    await settle();
  }
  await Promise.all(asked);
  release('alice-2');
  assert.deepEqual(granted, ['alice-0', 'bob-0', 'alice-1', 'bob-1', 'alice-2']);
  assert.equal(queue.inFlight(), 0);
});

it('refuses at once with unavailable and a retry hint when the queue is full', async () => {
  const queue = queueOf(1, 1);
  const holder = await queue.acquire('alice', never);
  const controller = new AbortController();
  const waiting = queue.acquire('bob', controller.signal);
  await assert.rejects(queue.acquire('carol', never), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'unavailable');
    assert.equal(error.retryable, true);
    assert.ok(error.retryAfterMs !== undefined && error.retryAfterMs > 0);
    return true;
  });
  assert.equal(queue.waiting(), 1);
  controller.abort(new Error('done'));
  await assert.rejects(waiting);
  holder();
});

it('rejects a request that waited past maxWaitMs with unavailable, and forgets it', async () => {
  const queue = queueOf(1, 10, 10);
  const holder = await queue.acquire('alice', never);
  await assert.rejects(queue.acquire('bob', never), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'unavailable');
    assert.equal(error.retryAfterMs, 10);
    return true;
  });
  assert.equal(queue.waiting(), 0);
  holder();
  assert.equal(queue.inFlight(), 0);
});

it('lets a waiting request whose signal aborts leave the queue with the reason, never taking a slot', async () => {
  const queue = queueOf(1);
  const holder = await queue.acquire('alice', never);
  const controller = new AbortController();
  const waiting = queue.acquire('bob', controller.signal);
  assert.equal(queue.waiting(), 1);
  const reason = new Error('cancelled by the client');
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  assert.equal(queue.waiting(), 0);
  assert.equal(queue.inFlight(), 1);
  holder();
  assert.equal(queue.inFlight(), 0);
});

it('refuses a request whose signal has already aborted without taking a slot', async () => {
  const queue = queueOf(1);
  const controller = new AbortController();
  controller.abort('gone');
  await assert.rejects(queue.acquire('alice', controller.signal), (error) => error === 'gone');
  assert.equal(queue.inFlight(), 0);
});

it('frees a slot once however often it is released', async () => {
  const queue = queueOf(1);
  const { granted, ask, release } = recorder(queue);
  const asked = [ask('alice', 'first'), ask('bob', 'second'), ask('carol', 'third')];
  await settle();
  release('first');
  release('first');
  await settle();
  assert.deepEqual(granted, ['first', 'second']);
  assert.equal(queue.inFlight(), 1);
  assert.equal(queue.waiting(), 1);
  release('second');
  await Promise.all(asked);
  release('third');
  release('third');
  assert.equal(queue.inFlight(), 0);
});

it('counts the requests in flight and waiting', async () => {
  const queue = queueOf(2);
  const { ask, release } = recorder(queue);
  const asked = [ask('alice', 'a'), ask('alice', 'b'), ask('bob', 'c')];
  await settle();
  assert.equal(queue.inFlight(), 2);
  assert.equal(queue.waiting(), 1);
  release('a');
  await Promise.all(asked);
  assert.equal(queue.inFlight(), 2);
  assert.equal(queue.waiting(), 0);
  release('b');
  release('c');
  assert.equal(queue.inFlight(), 0);
});
