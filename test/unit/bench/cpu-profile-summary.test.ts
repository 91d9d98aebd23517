import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CpuProfile, ownerOf, summarizeCpuProfile } from '../../../bench/cpu-profile-summary.ts';

const frame = (functionName: string, url = '', lineNumber = -1) => ({
  functionName,
  url,
  lineNumber,
  columnNumber: 0,
});

// root → relay (src) → JSON.parse (builtin) and the SDK's iterator; root → idle and GC.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 4, 5] },
    {
      id: 2,
      callFrame: frame('relay', 'file:///repo/src/ws-door/client-connection.ts', 54),
      children: [3, 6],
    },
    { id: 3, callFrame: frame('parse') },
    { id: 4, callFrame: frame('(idle)') },
    { id: 5, callFrame: frame('(garbage collector)') },
    { id: 6, callFrame: frame('iterator', 'file:///repo/node_modules/openai/core/streaming.mjs', 81) },
  ],
  // Each sample lasts until the next one: 1 ms each, and the last one nothing.
  samples: [3, 3, 2, 6, 4, 5, 1],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000],
};

describe('the CPU profile summary', () => {
  const summary = summarizeCpuProfile(profile, '/repo');

  it('leaves idle time out of the shares', () => {
    assert.equal(summary.idleMs, 1);
    assert.equal(summary.busyMs, 5);
  });

  it('ranks functions by self time, with their repository-relative location and owner', () => {
    assert.deepEqual(
      summary.topSelf.map(({ name, location, owner, ms }) => ({ name, location, owner, ms })),
      [
        { name: 'parse', location: '', owner: 'v8', ms: 2 },
        { name: 'relay', location: 'src/ws-door/client-connection.ts:55', owner: 'sluice', ms: 1 },
        { name: 'iterator', location: 'node_modules/openai/core/streaming.mjs:82', owner: 'openai', ms: 1 },
        { name: '(garbage collector)', location: '', owner: '(garbage collector)', ms: 1 },
      ],
    );
    assert.equal(summary.topSelf[0]?.share, 0.4);
  });

  it("gives Sluice's own functions their total time, with what they called", () => {
    assert.deepEqual(
      summary.topSluiceTotal.map(({ name, ms }) => ({ name, ms })),
      [{ name: 'relay', ms: 4 }],
    );
  });

  it('adds self time up by owner', () => {
    assert.deepEqual(
      summary.byOwner.map(({ owner, ms }) => [owner, ms]),
      [
        ['v8', 2],
        ['sluice', 1],
        ['openai', 1],
        ['(garbage collector)', 1],
      ],
    );
  });

  it('tells scoped packages, Node internals and code outside the repository apart', () => {
    assert.equal(ownerOf('file:///repo/node_modules/@scope/pkg/index.js', 'f', '/repo/'), '@scope/pkg');
    assert.equal(ownerOf('node:internal/streams/writable', 'write', '/repo/'), 'node');
    assert.equal(ownerOf('file:///elsewhere/x.js', 'f', '/repo/'), 'other');
  });
});
