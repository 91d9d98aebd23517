import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type Broadcast, createCoalescingHub, type Subscription } from '../../../src/cache/coalescing-hub.ts';

type Item =
  | { type: 'start'; model: string }
  | { type: 'text-delta'; text: string }
  | { type: 'finish'; finishReason: 'stop' }
  | { type: 'error'; message: string };

const start: Item = { type: 'start', model: 'gpt-4o-mini' };
const finish: Item = { type: 'finish', finishReason: 'stop' };
const text = (value: string): Item => ({ type: 'text-delta', text: value });
const texts = (count: number) => Array.from({ length: count }, (_, index) => text(`t${index}`));

/** Lets every pending read that can be answered be answered. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Reads a subscription to its end. */
async function collect(subscription: Subscription<Item>): Promise<Item[]> {
  const items: Item[] = [];
  for await (const item of subscription) items.push(item);
  return items;
}

/** Starts reading a subscription item by item, so a test can see how far it got. */
function reader(subscription: Subscription<Item>) {
  const iterator = subscription[Symbol.asyncIterator]();
  const state = { items: [] as Item[], ended: false };
  const next = async () => {
    const result = await iterator.next();
    if (result.done) state.ended = true;
    else state.items.push(result.value);
    return result;
  };
  return { state, next };
}

function leadNew(hub: ReturnType<typeof createCoalescingHub<Item>>, key = 'k1') {
  const upstream = new AbortController();
  const broadcast = hub.lead(key, { upstream });
  assert.ok(broadcast, 'the key had no live call');
  return { upstream, broadcast };
}

it('makes one call for 50 identical concurrent requests, each of which receives the whole reply in order', async () => {
  const hub = createCoalescingHub<Item>();
  const reply = [start, ...texts(20), finish];
  let upstreamCalls = 0;
  let broadcast: Broadcast<Item> | undefined;
  const readings: Promise<Item[]>[] = [];
  /** What the pipeline does for each request: join a live call, or lead a new one. */
  const request = () => {
    const joined = hub.join('k1');
    if (joined) return readings.push(collect(joined));
    upstreamCalls += 1;
    broadcast = hub.lead('k1', { upstream: new AbortController() });
    return readings.push(collect(broadcast!.subscription));
  };

  for (let index = 0; index < 10; index += 1) request();
  broadcast!.publish(start);
  for (let index = 0; index < 15; index += 1) request();
  for (const item of reply.slice(1, 11)) broadcast!.publish(item);
  await settle();
  // These join after half the reply: they get the replay, then the live rest.
  for (let index = 0; index < 25; index += 1) request();
  assert.equal(hub.subscribers('k1'), 50);
  for (const item of reply.slice(11, -1)) broadcast!.publish(item);
  broadcast!.end(finish);

  const received = await Promise.all(readings);
  assert.equal(upstreamCalls, 1);
  assert.equal(received.length, 50);
  for (const items of received) assert.deepEqual(items, reply);
});

it('keeps the call going for 49 joiners when the first client cancels half way', async () => {
  const hub = createCoalescingHub<Item>();
  const reply = [start, ...texts(20), finish];
  const { upstream, broadcast } = leadNew(hub);
  const leader = reader(broadcast.subscription);
  const joiners = Array.from({ length: 49 }, () => collect(hub.join('k1')!));
  for (const item of reply.slice(0, 11)) broadcast.publish(item);
  await leader.next();
  broadcast.subscription.leave();
  assert.equal(hub.subscribers('k1'), 49);
  for (const item of reply.slice(11, -1)) broadcast.publish(item);
  broadcast.end(finish);

  for (const items of await Promise.all(joiners)) assert.deepEqual(items, reply);
  assert.equal(upstream.signal.aborted, false);
  assert.deepEqual(leader.state.items, [start]);
});

it('gives a late joiner the items already published, then the live ones as they come', async () => {
  const hub = createCoalescingHub<Item>();
  const { broadcast } = leadNew(hub);
  broadcast.publish(start);
  broadcast.publish(text('a'));
  broadcast.publish(text('b'));
  const late = reader(hub.join('k1')!);
  await late.next();
  await late.next();
  await late.next();
  assert.deepEqual(late.state.items, [start, text('a'), text('b')]);

  const pending = late.next();
  await settle();
  assert.equal(late.state.items.length, 3, 'nothing more until the next item is published');
  broadcast.publish(text('c'));
  await pending;
  assert.deepEqual(late.state.items.at(-1), text('c'));
  broadcast.end(finish);
  await late.next();
  await late.next();
  assert.deepEqual(late.state.items.at(-1), finish);
  assert.equal(late.state.ended, true);
});

it('aborts the upstream only when the last participant leaves before the end', async () => {
  const hub = createCoalescingHub<Item>();
  const { upstream, broadcast } = leadNew(hub);
  const first = hub.join('k1')!;
  const second = hub.join('k1')!;
  broadcast.publish(start);
  assert.equal(hub.subscribers('k1'), 3);

  broadcast.subscription.leave();
  first.leave();
  assert.equal(upstream.signal.aborted, false);
  assert.equal(hub.subscribers('k1'), 1);
  second.leave();
  assert.equal(upstream.signal.aborted, true);
  assert.equal(upstream.signal.reason, 'every client left');
  // The abandoned call is gone: a new identical request starts a new one.
  assert.equal(hub.activeKeys(), 0);
  assert.equal(hub.join('k1'), undefined);
});

it("keeps streaming to the others when the leader's own client leaves", async () => {
  const hub = createCoalescingHub<Item>();
  const { upstream, broadcast } = leadNew(hub);
  const leader = reader(broadcast.subscription);
  const joined = collect(hub.join('k1')!);
  broadcast.publish(start);
  await leader.next();
  const pending = leader.next();
  broadcast.subscription.leave();
  assert.equal((await pending).done, true, "the leaving client's pending read ends at once");

  broadcast.publish(text('after'));
  broadcast.end(finish);
  assert.deepEqual(await joined, [start, text('after'), finish]);
  assert.equal(upstream.signal.aborted, false);
  assert.deepEqual(leader.state.items, [start]);
});

it('counts breaking out of the read loop as leaving', async () => {
  const hub = createCoalescingHub<Item>();
  const { upstream, broadcast } = leadNew(hub);
  broadcast.publish(start);
  broadcast.publish(text('a'));
  for await (const item of broadcast.subscription) {
    if (item.type === 'text-delta') break;
  }
  assert.equal(hub.subscribers('k1'), 0);
  assert.equal(upstream.signal.aborted, true);
});

it('does not make a fast participant wait for a slow one', async () => {
  const hub = createCoalescingHub<Item>();
  const { broadcast } = leadNew(hub);
  const slow = hub.join('k1')!;
  const fast = collect(hub.join('k1')!);
  const reply = [start, ...texts(100), finish];
  for (const item of reply.slice(0, -1)) broadcast.publish(item);
  broadcast.end(finish);

  // Neither the leader's client nor the slow one has read anything, and the fast one is done.
  assert.deepEqual(await fast, reply);
  assert.deepEqual(await collect(slow), reply);
  assert.deepEqual(await collect(broadcast.subscription), reply);
});

it('frees the key once the terminal item is published', async () => {
  const hub = createCoalescingHub<Item>();
  const { upstream, broadcast } = leadNew(hub);
  const joined = hub.join('k1')!;
  assert.equal(hub.lead('k1', { upstream: new AbortController() }), undefined, 'the call is live');
  assert.equal(hub.activeKeys(), 1);
  broadcast.publish(start);
  broadcast.end(finish);

  assert.equal(hub.activeKeys(), 0);
  assert.equal(hub.subscribers('k1'), 0);
  assert.equal(hub.join('k1'), undefined);
  // Leaving after the end stops nothing, and participants still read the reply to its end.
  broadcast.subscription.leave();
  assert.equal(upstream.signal.aborted, false);
  assert.deepEqual(await collect(joined), [start, finish]);
  const next = leadNew(hub);
  assert.notEqual(next.broadcast, broadcast);
});

it("ends every participant's stream with the error when the call fails", async () => {
  const hub = createCoalescingHub<Item>();
  const { broadcast } = leadNew(hub);
  const early = collect(hub.join('k1')!);
  broadcast.publish(start);
  broadcast.publish(text('a'));
  const late = collect(hub.join('k1')!);
  const failure: Item = { type: 'error', message: 'upstream reset' };
  broadcast.end(failure);
  const expected = [start, text('a'), failure];
  assert.deepEqual(await early, expected);
  assert.deepEqual(await late, expected);
  assert.deepEqual(await collect(broadcast.subscription), expected);
});

it('ignores what the old leader publishes after its call was abandoned or ended', async () => {
  const hub = createCoalescingHub<Item>();
  const old = leadNew(hub);
  old.broadcast.subscription.leave();
  const next = leadNew(hub);
  const joined = collect(hub.join('k1')!);
  old.broadcast.publish(text('stale'));
  old.broadcast.end(finish);
  assert.equal(hub.activeKeys(), 1, "the old leader's end does not free the new call");

  next.broadcast.publish(start);
  next.broadcast.end(finish);
  next.broadcast.publish(text('too late'));
  assert.deepEqual(await joined, [start, finish]);
});

it('keeps calls for different keys apart', async () => {
  const hub = createCoalescingHub<Item>();
  const first = leadNew(hub, 'k1');
  const second = leadNew(hub, 'k2');
  assert.equal(hub.activeKeys(), 2);
  first.broadcast.subscription.leave();
  assert.equal(first.upstream.signal.aborted, true);
  assert.equal(second.upstream.signal.aborted, false);
  second.broadcast.end(finish);
  assert.deepEqual(await collect(second.broadcast.subscription), [finish]);
  assert.equal(hub.activeKeys(), 0);
});

it('has the publisher wait only when every reader lags more than the allowed items behind', async () => {
  const hub = createCoalescingHub<Item>();
  const { broadcast } = leadNew(hub);
  const leader = reader(broadcast.subscription);
  const joined = reader(hub.join('k1')!);
  broadcast.publish(start);
  broadcast.publish(text('a'));
  assert.equal(broadcast.readersCaughtUp(2), undefined, 'both readers are within two items: no wait');

  broadcast.publish(text('b'));
  const waiting = broadcast.readersCaughtUp(2);
  assert.ok(waiting instanceof Promise, 'both readers are three items behind: the publisher waits');
  let resumed = false;
  void waiting.then(() => {
    resumed = true;
  });
  await settle();
  assert.equal(resumed, false);
  // One reader catching up is enough.
  await joined.next();
  await settle();
  assert.equal(resumed, true);
  assert.equal(broadcast.readersCaughtUp(2), undefined);
  assert.deepEqual(leader.state.items, []);
});

it('does not have the publisher wait once every reader left', async () => {
  const hub = createCoalescingHub<Item>();
  const { broadcast } = leadNew(hub);
  const joined = hub.join('k1')!;
  broadcast.publish(start);
  broadcast.publish(text('a'));
  const waiting = broadcast.readersCaughtUp(1);
  assert.ok(waiting instanceof Promise);
  broadcast.subscription.leave();
  joined.leave();
  await waiting;
  assert.equal(broadcast.readersCaughtUp(1), undefined);
});

it('lets a reader take ready items without waiting, and wait on changed() when none is there', async () => {
  const hub = createCoalescingHub<Item>();
  const { broadcast } = leadNew(hub);
  const subscription = hub.join('k1')!;
  broadcast.publish(start);
  broadcast.publish(text('a'));
  assert.deepEqual(subscription.take(), start);
  assert.deepEqual(subscription.take(), text('a'));
  assert.equal(subscription.take(), undefined, 'nothing more is there yet');
  assert.equal(subscription.over(), false);

  let woken = false;
  const changed = subscription.changed().then(() => {
    woken = true;
  });
  await settle();
  assert.equal(woken, false, 'changed() waits while nothing was published');
  broadcast.publish(text('b'));
  await changed;
  assert.deepEqual(subscription.take(), text('b'));
  broadcast.end(finish);
  await subscription.changed();
  assert.deepEqual(subscription.take(), finish);
  assert.equal(subscription.take(), undefined);
  assert.equal(subscription.over(), true, 'the terminal item was read');
});

it("ends a participant's wait on changed() at once when it leaves", async () => {
  const hub = createCoalescingHub<Item>();
  const { broadcast } = leadNew(hub);
  const subscription = hub.join('k1')!;
  broadcast.publish(start);
  const waiting = subscription.changed();
  subscription.take();
  subscription.leave();
  await waiting;
  broadcast.publish(text('after'));
  assert.equal(subscription.take(), undefined, 'a participant that left reads nothing more');
  assert.equal(subscription.over(), true);
});

it('answers reads that wait at the same time each with its own item, in order', async () => {
  const hub = createCoalescingHub<Item>();
  const { broadcast } = leadNew(hub);
  const iterator = hub.join('k1')![Symbol.asyncIterator]();
  const first = iterator.next();
  const second = iterator.next();
  broadcast.publish(start);
  broadcast.publish(text('a'));
  assert.deepEqual(await first, { done: false, value: start });
  assert.deepEqual(await second, { done: false, value: text('a') });
});

/** Merges runs of text deltas, as the chat pipeline's hub does with its parts. */
function mergeTexts(items: Item[]): Item[] {
  const merged: Item[] = [];
  for (const item of items) {
    const last = merged.at(-1);
    if (item.type === 'text-delta' && last?.type === 'text-delta')
      merged[merged.length - 1] = text(last.text + item.text);
    else merged.push(item);
  }
  return merged;
}

/** Takes every item that is there now. */
function takeReady(subscription: Subscription<Item>): Item[] {
  const items: Item[] = [];
  for (let item = subscription.take(); item !== undefined; item = subscription.take()) items.push(item);
  return items;
}

const textOf = (items: Item[]) => items.map((item) => (item.type === 'text-delta' ? item.text : '')).join('');

it('replays to a late joiner the text every reader has read as a few merged deltas, then the live rest', async () => {
  const hub = createCoalescingHub<Item>({ compactReplayed: mergeTexts });
  const { broadcast } = leadNew(hub);
  const published = [start, ...texts(200)];
  const leaderRead: Item[] = [];
  for (const item of published) {
    broadcast.publish(item);
    leaderRead.push(...takeReady(broadcast.subscription));
  }
  assert.deepEqual(leaderRead, published, 'the live reader gets every item as published');

  const late = hub.join('k1')!;
  const replay = takeReady(late);
  assert.deepEqual(replay[0], start);
  assert.equal(textOf(replay), textOf(published), 'the whole text so far, in order, once');
  assert.ok(replay.length <= 20, `a few items, not one per token (${replay.length})`);
  assert.ok(
    replay[1]?.type === 'text-delta' && replay[1].text.startsWith(textOf(texts(150))),
    'most of the reply in the first delta',
  );

  broadcast.publish(text('live'));
  broadcast.end(finish);
  assert.deepEqual(takeReady(late), [text('live'), finish]);
  assert.deepEqual(takeReady(broadcast.subscription), [text('live'), finish]);
});

it('merges only what the slowest reader has read, and every reader reads on from where it was', async () => {
  const hub = createCoalescingHub<Item>({ compactReplayed: mergeTexts });
  const { broadcast } = leadNew(hub);
  const slow = hub.join('k1')!;
  const reply = [start, ...texts(300), finish];
  const fastRead: Item[] = [];
  const slowRead: Item[] = [];
  for (const [index, item] of reply.slice(0, -1).entries()) {
    broadcast.publish(item);
    fastRead.push(...takeReady(broadcast.subscription));
    // The slow reader reads 25 items for every 40 published, so it falls ever further behind.
    if (index % 40 === 39) slowRead.push(...Array.from({ length: 25 }, () => slow.take()!));
    if (index === 150) {
      const late = hub.join('k1')!;
      const replay = takeReady(late);
      assert.equal(textOf(replay), textOf(reply.slice(0, 151)));
      // The slow reader has read 75 items: the rest are kept as published, for it to read.
      assert.deepEqual(replay.slice(-76), reply.slice(75, 151));
      assert.ok(replay.length < 90, `what every reader has read is merged (${replay.length} items)`);
    }
  }
  broadcast.end(finish);
  slowRead.push(...takeReady(slow));
  assert.deepEqual(fastRead, reply.slice(0, -1));
  assert.deepEqual(takeReady(broadcast.subscription), [finish]);
  assert.deepEqual(slowRead, reply, 'the slow reader gets every item as published, none twice');
});

it('never merges items that are not text deltas, and keeps every item without a merge', async () => {
  const failure: Item = { type: 'error', message: 'cut' };
  const published = [start, text('a'), text('b'), failure, text('c'), start, ...texts(30)];
  for (const options of [{ compactReplayed: mergeTexts }, {}]) {
    const hub = createCoalescingHub<Item>(options);
    const { broadcast } = leadNew(hub);
    for (const item of published) {
      broadcast.publish(item);
      takeReady(broadcast.subscription);
    }
    const replay = takeReady(hub.join('k1')!);
    if (options.compactReplayed) {
      assert.deepEqual(replay.slice(0, 5), [start, text('ab'), failure, text('c'), start]);
      assert.equal(textOf(replay.slice(5)), textOf(texts(30)));
    } else assert.deepEqual(replay, published);
  }
});
