import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that the summary reads. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }>;
  samples: number[];
  timeDeltas: number[];
}

/** Time spent in one function (self: in its own code; total: with what it called). */
export interface FunctionTime {
  name: string;
  /** `file:line`, relative to the repository, or a package or `node:` module path. */
  location: string;
  /** `sluice`, a package name, `node`, `v8` (builtins such as JSON.parse) or a V8 pseudo-frame. */
  owner: string;
  ms: number;
  share: number;
}

/** Where a profile's time went; shares are of the busy time, idle left out. */
export interface CpuProfileSummary {
  busyMs: number;
  idleMs: number;
  byOwner: Array<{ owner: string; ms: number; share: number }>;
  topSelf: FunctionTime[];
  /** Sluice's own functions by total time: which of its steps the time is spent under. */
  topSluiceTotal: FunctionTime[];
}

const pseudoFrames = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);

/** Which code a frame belongs to. */
export function ownerOf(url: string, functionName: string, repositoryRoot: string): string {
  if (pseudoFrames.has(functionName)) return functionName;
  if (url === '') return 'v8';
  if (url.startsWith('node:')) return 'node';
  const packageMatch = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (packageMatch) return packageMatch[1]!;
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return path.startsWith(repositoryRoot) ? 'sluice' : 'other';
}

function locationOf(url: string, lineNumber: number, repositoryRoot: string): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const relative = path.startsWith(repositoryRoot) ? path.slice(repositoryRoot.length) : path;
  return `${relative}:${lineNumber + 1}`;
}

/**
 * Adds up a profile's samples by function (self and total time) and by owner. A sample lasts until
 * the next one, as Chrome DevTools counts it.
 */
export function summarizeCpuProfile(
  profile: CpuProfile,
  repositoryRoot: string,
  limit = 25,
): CpuProfileSummary {
  const root = repositoryRoot.endsWith('/') ? repositoryRoot : `${repositoryRoot}/`;
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  const describe = new Map<number, Omit<FunctionTime, 'ms' | 'share'> & { key: string }>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const location = locationOf(url, lineNumber, root);
    describe.set(node.id, { name, location, owner: ownerOf(url, name, root), key: `${name} ${location}` });
  }

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let busyMs = 0;
  let idleMs = 0;
  for (const [index, nodeId] of profile.samples.entries()) {
    const ms = (profile.timeDeltas[index + 1] ?? 0) / 1000;
    const frame = describe.get(nodeId);
    if (!frame) continue;
    if (frame.owner === '(idle)') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    self.set(frame.key, (self.get(frame.key) ?? 0) + ms);
    byOwner.set(frame.owner, (byOwner.get(frame.owner) ?? 0) + ms);
    // A recursive function counts once per sample in its total.
    const onStack = new Set<string>();
    for (let id: number | undefined = nodeId; id !== undefined; id = parentOf.get(id)) {
      const key = describe.get(id)!.key;
      if (onStack.has(key)) continue;
      onStack.add(key);
      total.set(key, (total.get(key) ?? 0) + ms);
    }
  }

  const frames = new Map([...describe.values()].map((frame) => [frame.key, frame]));
  const ranked = (times: Map<string, number>, keep: (frame: FunctionTime) => boolean) =>
    [...times]
      .map(([key, ms]) => {
        const { name, location, owner } = frames.get(key)!;
        return { name, location, owner, ms, share: busyMs > 0 ? ms / busyMs : 0 };
      })
      .filter((frame) => frame.ms > 0 && keep(frame))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, limit);

  return {
    busyMs,
    idleMs,
    byOwner: [...byOwner]
      .filter(([, ms]) => ms > 0)
      .map(([owner, ms]) => ({ owner, ms, share: busyMs > 0 ? ms / busyMs : 0 }))
      .sort((a, b) => b.ms - a.ms),
    topSelf: ranked(self, () => true),
    topSluiceTotal: ranked(total, (frame) => frame.owner === 'sluice'),
  };
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`.padStart(6);

/** The summary as text: owners, then the top functions by self time, then Sluice's own by total time. */
export function renderCpuProfileSummary(summary: CpuProfileSummary): string {
  const functionLine = (entry: FunctionTime) =>
    `${percent(entry.share)}  ${entry.ms.toFixed(0).padStart(6)} ms  ${entry.name}  ${entry.location}  [${entry.owner}]`;
  return [
    `Busy ${summary.busyMs.toFixed(0)} ms (and idle ${summary.idleMs.toFixed(0)} ms); shares are of the busy time.`,
    '',
    'Self time by owner:',
    ...summary.byOwner.map((entry) => `${percent(entry.share)}  ${entry.owner}`),
    '',
    'Top functions by self time:',
    ...summary.topSelf.map(functionLine),
    '',
    "Sluice's own functions by total time (with what they call):",
    ...summary.topSluiceTotal.map(functionLine),
  ].join('\n');
}

if (import.meta.main) {
  const [file] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node bench/cpu-profile-summary.ts <file.cpuprofile>\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const repositoryRoot = fileURLToPath(new URL('../', import.meta.url));
  process.stdout.write(`${renderCpuProfileSummary(summarizeCpuProfile(profile, repositoryRoot))}\n`);
}
