import type { LatencySummary } from './latency-summary.ts';
import type { IdleResult } from './load-generator.ts';
import type { StreamResult } from './stream-measurements.ts';

/** A rig core busier than this measured the rig, not Sluice. */
export const saturatedShare = 0.9;

/** What the relay (Sluice, or nginx for reference) itself spent during a row, read from `/proc`. */
export interface RelayCost {
  cpuSeconds: number;
  peakRssBytes: number;
  /** The whole relay core's busy share, the relay and anything else that ran there. */
  coreBusy: number;
}

/** One stream scenario run one way: straight at the fake upstream, or through a Sluice door. */
export interface StreamRow {
  kind: 'streams';
  scenario: string;
  path: 'direct' | 'nginx' | 'node floor' | 'sluice ws' | 'sluice http';
  result: StreamResult;
  /** Absent on direct rows. */
  relay?: RelayCost;
  /** The busiest rig core's busy share over the run. */
  rigBusy: number;
}

/** The idle-connections scenario. */
export interface IdleRow {
  kind: 'idle';
  scenario: string;
  connections: number;
  result: IdleResult;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  peakRssBytes: number;
  rigBusy: number;
}

/** One row of the results table. */
export type ReportRow = StreamRow | IdleRow;

/** The CPU seconds a million tokens cost, at the rate of this run. */
export function cpuSecondsPerMillionTokens(cpuSeconds: number, tokens: number): number {
  return tokens > 0 ? (cpuSeconds / tokens) * 1e6 : Number.NaN;
}

/** What going through Sluice added to a latency, at the median and the 99th percentile. */
export function addedLatency(sluice: LatencySummary, direct: LatencySummary): { p50: number; p99: number } {
  return { p50: sluice.p50 - direct.p50, p99: sluice.p99 - direct.p99 };
}

/** Resident memory each idle connection costs. */
export function bytesPerConnection(row: IdleRow): number {
  return row.result.opened > 0 ? (row.rssAfterBytes - row.rssBeforeBytes) / row.result.opened : Number.NaN;
}

const mebibyte = 1024 * 1024;

function milliseconds(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return Math.abs(value) < 10 ? value.toFixed(2) : value.toFixed(1);
}

function signedMilliseconds(value: number): string {
  return Number.isFinite(value) && value >= 0 ? `+${milliseconds(value)}` : milliseconds(value);
}

const percent = (share: number) => `${Math.round(share * 100)}%`;
const rigCell = (busy: number) => (busy >= saturatedShare ? `${percent(busy)} SATURATED` : percent(busy));

function baselineOf(rows: ReportRow[], row: StreamRow): StreamRow | undefined {
  return rows.find(
    (other): other is StreamRow =>
      other.kind === 'streams' && other.scenario === row.scenario && other.path === 'direct',
  );
}

function streamCells(rows: ReportRow[], row: StreamRow): string[] {
  const { result, relay } = row;
  const seconds = result.elapsedMs / 1000;
  const baseline = row.path === 'direct' ? undefined : baselineOf(rows, row);
  const added = baseline && addedLatency(result.ttft, baseline.result.ttft);
  const notes = [...result.errorSamples];
  if (relay && result.tokens > 0 && result.frames < result.tokens) {
    notes.unshift(`${(result.frames / result.tokens).toFixed(2)} frames per token`);
  }
  return [
    row.scenario,
    row.path,
    String(result.completed),
    String(result.errors),
    String(Math.round(result.tokens / seconds)),
    milliseconds(result.ttft.p50),
    milliseconds(result.ttft.p90),
    milliseconds(result.ttft.p99),
    added ? signedMilliseconds(added.p50) : '',
    added ? signedMilliseconds(added.p99) : '',
    milliseconds(result.gap.p99),
    relay ? cpuSecondsPerMillionTokens(relay.cpuSeconds, result.tokens).toFixed(1) : '',
    relay ? (relay.peakRssBytes / mebibyte).toFixed(0) : '',
    relay ? `${percent(relay.cpuSeconds / seconds)} (${percent(relay.coreBusy)})` : '',
    rigCell(row.rigBusy),
    notes.join('; '),
  ];
}

function idleCells(row: IdleRow): string[] {
  const perConnection = bytesPerConnection(row) / 1024;
  return [
    row.scenario,
    'sluice ws',
    String(row.result.stillOpen),
    String(row.result.errors),
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    (row.peakRssBytes / mebibyte).toFixed(0),
    '',
    rigCell(row.rigBusy),
    [`${perConnection.toFixed(1)} KiB per idle connection`, ...row.result.errorSamples].join('; '),
  ];
}

const header = [
  'scenario',
  'path',
  'ok',
  'errors',
  'tokens/s',
  'TTFT p50 ms',
  'p90',
  'p99',
  'added p50',
  'added p99',
  'gap p99 ms',
  'CPU-s/Mtok',
  'peak RSS MiB',
  'relay core (all)',
  'rig core',
  'notes',
];

/** The results as a Markdown table that also reads well in a terminal. */
export function renderTable(rows: ReportRow[]): string {
  const table = [
    header,
    ...rows.map((row) => (row.kind === 'idle' ? idleCells(row) : streamCells(rows, row))),
  ];
  const widths = header.map((_, column) => Math.max(...table.map((cells) => cells[column]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(header), rule, ...table.slice(1).map(line)].join('\n');
}

/** One target of the issue, against what this run measured. */
export interface TargetCheck {
  target: string;
  measured: string;
  /** The same figure for the reference relays (nginx, the minimal Node relay) that ran in this run. */
  yardsticks?: string;
  /** Undefined when the scenario did not run or measured nothing. */
  met: boolean | undefined;
  /** The row's rig core was saturated, so the figure is not Sluice's alone. */
  rigSaturated: boolean;
}

function sluiceRow(rows: ReportRow[], scenario: string): StreamRow | undefined {
  return rows.find(
    (row): row is StreamRow =>
      row.kind === 'streams' && row.scenario === scenario && row.path.startsWith('sluice'),
  );
}

const referencePaths = ['nginx', 'node floor'] as const;

/** The reference relays' rows of a scenario, in `referencePaths` order. */
function referenceRows(rows: ReportRow[], scenario: string): StreamRow[] {
  return referencePaths.flatMap((path) =>
    rows.filter(
      (row): row is StreamRow => row.kind === 'streams' && row.scenario === scenario && row.path === path,
    ),
  );
}

const figure = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '–');

/** Checks the measured rows against the targets. */
export function checkTargets(rows: ReportRow[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  /** Checks `metric` of a scenario's Sluice row; the reference relays' same metric goes beside it. */
  const check = (
    target: string,
    row: StreamRow,
    metric: (row: StreamRow) => number,
    limit: number,
    unit: string,
  ) => {
    const value = metric(row);
    const references = referenceRows(rows, row.scenario).map(
      (reference) => `${reference.path} ${figure(metric(reference))}`,
    );
    checks.push({
      target,
      measured: `${figure(value)} ${unit}`,
      ...(references.length > 0 ? { yardsticks: references.join(', ') } : {}),
      met: Number.isFinite(value) ? value <= limit : undefined,
      rigSaturated: row.rigBusy >= saturatedShare,
    });
  };
  const cpuCost = (row: StreamRow) =>
    row.relay ? cpuSecondsPerMillionTokens(row.relay.cpuSeconds, row.result.tokens) : Number.NaN;

  const fifty = sluiceRow(rows, '50-streams');
  const fiftyBaseline = fifty && baselineOf(rows, fifty);
  if (fifty && fiftyBaseline) {
    const added = (row: StreamRow) => addedLatency(row.result.ttft, fiftyBaseline.result.ttft);
    check('added TTFT p50 ≤ 0.5 ms at 50 streams', fifty, (row) => added(row).p50, 0.5, 'ms');
    check('added TTFT p99 ≤ 3 ms at 50 streams', fifty, (row) => added(row).p99, 3, 'ms');
  }
  if (fifty?.relay) {
    check('relay cost ≤ 20 CPU-s per million tokens at 50 streams', fifty, cpuCost, 20, 'CPU-s/Mtok');
  }
  const twoHundred = sluiceRow(rows, '200-streams');
  if (twoHundred?.relay) {
    const peakRss = (row: StreamRow) => (row.relay ? row.relay.peakRssBytes / mebibyte : Number.NaN);
    check('RSS ≤ 100 MiB at 200 streams', twoHundred, peakRss, 100, 'MiB');
  }
  const idle = rows.find((row): row is IdleRow => row.kind === 'idle');
  if (idle) {
    const perConnection = bytesPerConnection(idle) / 1024;
    checks.push({
      target: '≤ 20 KiB per idle WebSocket connection',
      measured: `${figure(perConnection)} KiB`,
      met: Number.isFinite(perConnection) ? perConnection <= 20 : undefined,
      rigSaturated: idle.rigBusy >= saturatedShare,
    });
    checks.push({
      target: `${idle.connections} idle connections with no error`,
      measured: `${idle.result.stillOpen} open, ${idle.result.errors} errors`,
      met: idle.result.stillOpen === idle.connections && idle.result.errors === 0,
      rigSaturated: idle.rigBusy >= saturatedShare,
    });
  }
  const slowReader = sluiceRow(rows, 'slow-reader');
  if (slowReader && slowReader.result.tokens > 0) {
    const ratio = slowReader.result.frames / slowReader.result.tokens;
    checks.push({
      target: 'a slow reader gets deltas merged (fewer frames than tokens)',
      measured: `${ratio.toFixed(2)} frames per token`,
      met: ratio < 1,
      rigSaturated: slowReader.rigBusy >= saturatedShare,
    });
  }
  return checks;
}

/** The target checks as a short list. */
export function renderTargets(checks: TargetCheck[]): string {
  return checks
    .map((check) => {
      const verdict = check.met === undefined ? 'n/a ' : check.met ? 'MET ' : 'MISS';
      const flag = check.rigSaturated ? ' (rig core saturated: not Sluice alone)' : '';
      const yardsticks = check.yardsticks ? ` (${check.yardsticks})` : '';
      return `${verdict} ${check.target}: ${check.measured}${yardsticks}${flag}`;
    })
    .join('\n');
}
