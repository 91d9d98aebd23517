import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LatencySummary } from '../../../bench/latency-summary.ts';
import {
  addedLatency,
  bytesPerConnection,
  checkTargets,
  cpuSecondsPerMillionTokens,
  type IdleRow,
  renderTable,
  renderTargets,
  type StreamRow,
} from '../../../bench/report.ts';
import type { StreamResult } from '../../../bench/stream-measurements.ts';

const latency = (p50: number, p99: number): LatencySummary => ({ count: 100, p50, p90: p99, p99, max: p99 });

function result(overrides: Partial<StreamResult> = {}): StreamResult {
  return {
    requests: 500,
    completed: 500,
    errors: 0,
    errorSamples: [],
    tokens: 50_000,
    frames: 50_000,
    ttft: latency(1, 4),
    gap: latency(3, 6),
    elapsedMs: 2000,
    ...overrides,
  };
}

const direct: StreamRow = {
  kind: 'streams',
  scenario: '50-streams',
  path: 'direct',
  result: result(),
  rigBusy: 0.5,
};
const throughSluice: StreamRow = {
  kind: 'streams',
  scenario: '50-streams',
  path: 'sluice ws',
  result: result({ ttft: latency(1.4, 6.5) }),
  relay: { cpuSeconds: 0.9, peakRssBytes: 90 * 1024 * 1024, coreBusy: 0.5 },
  rigBusy: 0.95,
};
const idle: IdleRow = {
  kind: 'idle',
  scenario: '10k-idle',
  connections: 10_000,
  result: { opened: 10_000, stillOpen: 10_000, errors: 0, errorSamples: [] },
  rssBeforeBytes: 100 * 1024 * 1024,
  rssAfterBytes: 100 * 1024 * 1024 + 10_000 * 8 * 1024,
  peakRssBytes: 200 * 1024 * 1024,
  rigBusy: 0.1,
};

describe('the report', () => {
  it('prices CPU per million tokens, and says nothing when no token went through', () => {
    assert.equal(cpuSecondsPerMillionTokens(0.9, 50_000), 18);
    assert.ok(Number.isNaN(cpuSecondsPerMillionTokens(1, 0)));
  });

  it('measures what Sluice added against the direct run at the same percentile', () => {
    const added = addedLatency(throughSluice.result.ttft, direct.result.ttft);
    assert.ok(Math.abs(added.p50 - 0.4) < 1e-9);
    assert.ok(Math.abs(added.p99 - 2.5) < 1e-9);
  });

  it('divides the RSS the idle connections added by the connections opened', () => {
    assert.equal(bytesPerConnection(idle), 8 * 1024);
  });

  it('checks each target it has figures for, and flags a row whose rig core was saturated', () => {
    const checks = checkTargets([direct, throughSluice, idle]);
    const byTarget = new Map(checks.map((check) => [check.target, check]));
    assert.equal(byTarget.get('added TTFT p50 ≤ 0.5 ms at 50 streams')?.met, true);
    assert.equal(byTarget.get('added TTFT p99 ≤ 3 ms at 50 streams')?.met, true);
    assert.equal(byTarget.get('added TTFT p99 ≤ 3 ms at 50 streams')?.rigSaturated, true);
    assert.equal(byTarget.get('relay cost ≤ 20 CPU-s per million tokens at 50 streams')?.met, true);
    assert.equal(byTarget.get('≤ 20 KiB per idle WebSocket connection')?.met, true);
    assert.equal(byTarget.get('10000 idle connections with no error')?.met, true);
    assert.equal(byTarget.has('RSS ≤ 100 MiB at 200 streams'), false);
  });

  it('checks the targets on the Sluice row, not on the nginx reference row of the same scenario', () => {
    const throughNginx: StreamRow = {
      ...throughSluice,
      path: 'nginx',
      result: result({ ttft: latency(1.1, 4.5) }),
      relay: { cpuSeconds: 0.2, peakRssBytes: 15 * 1024 * 1024, coreBusy: 0.1 },
    };
    const costly = { ...throughSluice, relay: { cpuSeconds: 5, peakRssBytes: 0, coreBusy: 1 } };
    const checks = checkTargets([direct, throughNginx, costly]);
    assert.equal(checks.find((entry) => entry.target.startsWith('relay cost'))?.met, false);
    assert.equal(checks.find((entry) => entry.target.startsWith('added TTFT p50'))?.measured, '0.40 ms');
    const nginxCells = renderTable([direct, throughNginx, costly]).split('\n')[3]!.split('|');
    assert.deepEqual(
      nginxCells
        .slice(2, 3)
        .concat(nginxCells.slice(9, 14))
        .map((cell) => cell.trim()),
      ['nginx', '+0.10', '+0.50', '6.00', '4.0', '15'],
    );
  });

  it("puts the reference relays' figures beside a target, and none where only Sluice ran", () => {
    const reference = (path: StreamRow['path'], p50: number, cpuSeconds: number): StreamRow => ({
      ...throughSluice,
      path,
      result: result({ ttft: latency(p50, 4) }),
      relay: { cpuSeconds, peakRssBytes: 0, coreBusy: 0.5 },
    });
    const rows = [direct, reference('nginx', 1.1, 0.5), reference('node floor', 1.2, 1.5), throughSluice];
    const byTarget = new Map(checkTargets(rows).map((check) => [check.target, check]));
    assert.equal(
      byTarget.get('added TTFT p50 ≤ 0.5 ms at 50 streams')?.yardsticks,
      'nginx 0.10, node floor 0.20',
    );
    assert.equal(
      byTarget.get('relay cost ≤ 20 CPU-s per million tokens at 50 streams')?.yardsticks,
      'nginx 10.00, node floor 30.00',
    );
    assert.match(
      renderTargets(checkTargets(rows)),
      /^MET {2}relay cost ≤ 20 CPU-s per million tokens at 50 streams: 18\.00 CPU-s\/Mtok \(nginx 10\.00, node floor 30\.00\)/m,
    );
    assert.equal(checkTargets([direct, throughSluice])[0]?.yardsticks, undefined);
  });

  it('misses a target the figures exceed', () => {
    const costly = { ...throughSluice, relay: { cpuSeconds: 5, peakRssBytes: 0, coreBusy: 1 } };
    const check = checkTargets([direct, costly]).find((entry) => entry.target.startsWith('relay cost'));
    assert.equal(check?.met, false);
    assert.equal(check?.measured, '100.00 CPU-s/Mtok');
  });

  it('prints one table row per run, with the added latency on the Sluice row and the saturation flag', () => {
    const lines = renderTable([direct, throughSluice, idle]).split('\n');
    assert.equal(lines.length, 5);
    const sluiceCells = lines[3]!.split('|').map((cell) => cell.trim());
    assert.deepEqual(sluiceCells.slice(1, 17), [
      '50-streams',
      'sluice ws',
      '500',
      '0',
      '25000',
      '1.40',
      '6.50',
      '6.50',
      '+0.40',
      '+2.50',
      '6.00',
      '18.0',
      '90',
      '45% (50%)',
      '95% SATURATED',
      '',
    ]);
    assert.match(lines[4]!, /8\.0 KiB per idle connection/);
  });
});
