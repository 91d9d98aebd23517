import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newRequestId } from '../../../src/pipeline/new-request-id.ts';

it('makes UUID v7 ids that carry the time they were made in', () => {
  const before = Date.now();
  const id = newRequestId();
  const after = Date.now();
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const time = Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  assert.ok(time >= before && time <= after, `${time} within [${before}, ${after}]`);
});

it('makes distinct ids, in order of time across milliseconds', async () => {
  const ids = Array.from({ length: 20_000 }, newRequestId);
  assert.equal(new Set(ids).size, ids.length);
  const earlier = newRequestId();
  await new Promise((resolve) => setTimeout(resolve, 2));
  assert.ok(newRequestId() > earlier, 'a later id sorts after an earlier one');
});
