import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createInFlightBudget, type InFlightSlot } from '../../../src/ws-door/in-flight-budget.ts';

/** Admits request `id` of `holder`, noting in `aborted` when the budget aborts it. */
function admitter(budget: ReturnType<typeof createInFlightBudget>, aborted: string[]) {
  return (holder: string, id: string) => budget.admit(holder, `user\u0000${id}`, () => aborted.push(id));
}

describe('the in-flight budget', () => {
  it('admits a holder up to its bound, refuses past it while none is orphaned, and admits again once one ends', async () => {
    const aborted: string[] = [];
    const admit = admitter(createInFlightBudget(2), aborted);
    const first = await admit('ada', 'a');
    assert.ok(first);
    assert.ok(await admit('ada', 'b'));
    assert.equal(await admit('ada', 'c'), undefined);
    first.end();
    assert.ok(await admit('ada', 'c'));
    assert.deepEqual(aborted, []);
  });

  it('keeps holders apart', async () => {
    const admit = admitter(createInFlightBudget(1), []);
    assert.ok(await admit('ada', 'a'));
    assert.ok(await admit('bob', 'a'));
  });

  it('evicts the oldest orphan for a new request, which starts only once that one has ended', async () => {
    const aborted: string[] = [];
    const admit = admitter(createInFlightBudget(2), aborted);
    const older = (await admit('ada', 'older'))!;
    const newer = (await admit('ada', 'newer'))!;
    older.leave();
    newer.leave();
    let admitted: InFlightSlot | undefined;
    const pending = admit('ada', 'new').then((slot) => {
      admitted = slot;
    });
    assert.deepEqual(aborted, ['older']);
    await Promise.resolve();
    assert.equal(admitted, undefined, 'not before the evicted request has ended');
    older.end();
    await pending;
    assert.ok(admitted);
    // The evicted request's place went to the new one: the next evicts the next oldest orphan.
    void admit('ada', 'another');
    assert.deepEqual(aborted, ['older', 'newer']);
  });

  it('never evicts an orphan a connection has resumed, until that connection leaves too', async () => {
    const aborted: string[] = [];
    const budget = createInFlightBudget(2);
    const admit = admitter(budget, aborted);
    const resumed = (await admit('ada', 'resumed'))!;
    const dropped = (await admit('ada', 'dropped'))!;
    resumed.leave();
    dropped.leave();
    const stopReading = budget.attach('user\u0000resumed');
    void admit('ada', 'c1');
    assert.deepEqual(aborted, ['dropped']);
    dropped.end();
    stopReading();
    void admit('ada', 'c2');
    assert.deepEqual(aborted, ['dropped', 'resumed']);
  });

  it('refuses once every orphan is being evicted for another request', async () => {
    const aborted: string[] = [];
    const admit = admitter(createInFlightBudget(1), aborted);
    (await admit('ada', 'orphan'))!.leave();
    void admit('ada', 'heir');
    assert.equal(await admit('ada', 'late'), undefined);
    assert.deepEqual(aborted, ['orphan']);
  });
});
