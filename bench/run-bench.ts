import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type ChildProcesses, createChildProcesses, type WatchedProcess } from './child-processes.ts';
import { type CpuProfile, renderCpuProfileSummary, summarizeCpuProfile } from './cpu-profile-summary.ts';
import type { IdleResult, LoadMessage, LoadPlan, StreamPlan } from './load-generator.ts';
import {
  type CpuLayout,
  describeMachine,
  pinThisProcess,
  readCpuLayout,
  readTicksPerSecond,
} from './machine.ts';
import { startMeasurementWindow, type WindowMeasurement } from './measurement-window.ts';
import { findNginx, prepareNginx } from './nginx-reference.ts';
import { readProcessMemory } from './process-stats.ts';
import {
  checkTargets,
  type IdleRow,
  type ReportRow,
  renderTable,
  renderTargets,
  type StreamRow,
  saturatedShare,
} from './report.ts';
import { type IdleScenario, type Scenario, type StreamScenario, scenarios } from './scenarios.ts';
import { benchConfigYaml, benchModel } from './sluice-config.ts';
import { parseStartScript } from './start-script.ts';
import type { StreamResult } from './stream-measurements.ts';

const repositoryRoot = fileURLToPath(new URL('../', import.meta.url));
/** Sluice runs as `npm start` runs it: built first, then the same node flags, the same entry point. */
const startScript = parseStartScript(readFileSync(join(repositoryRoot, 'package.json'), 'utf8'));

const usage = `Usage: npm run bench [-- options]

  (no option)          the short run: every scenario for a few seconds (under two minutes)
  --full               the full run: every scenario for 10-20 s (the figures for bench/RESULTS.md)
  --scenario <names>   only these scenarios, comma-separated: ${scenarios.map((scenario) => scenario.name).join(', ')}
  --seconds <n>        run each scenario for n seconds
  --nginx              also relay each scenario's direct load through nginx (proxy_buffering off) pinned
                       to Sluice's core: this machine's yardstick, in the same run (needs nginx on PATH)
  --floor              also run each WebSocket scenario through a minimal Node relay of the same
                       per-token work (bench/node-floor-relay.ts) on Sluice's core: what Node itself costs
  --profile            profile Sluice (--cpu-prof) under the 200-stream scenario and summarise the profile
  --profile-dir <dir>  where the .cpuprofile is kept (default: a new temporary directory)
  --log-level <level>  Sluice's log level (default: info, the production default)
  --node-flags=<flags> extra flags for Sluice's node, space-separated, after those of npm start
                       (e.g. --node-flags="--max-semi-space-size=2")
`;

interface Options {
  full: boolean;
  selected: Scenario[];
  seconds?: number;
  profileDir?: string;
  logLevel: string;
  /** The nginx executable, when the nginx reference rows were asked for. */
  nginx?: string;
  /** Whether the minimal Node relay's rows were asked for. */
  floor: boolean;
  /** Extra flags for the node process that runs Sluice. */
  nodeFlags: string[];
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      full: { type: 'boolean', default: false },
      scenario: { type: 'string' },
      seconds: { type: 'string' },
      profile: { type: 'boolean', default: false },
      nginx: { type: 'boolean', default: false },
      floor: { type: 'boolean', default: false },
      'profile-dir': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'node-flags': { type: 'string', default: '' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  const profiling = values.profile || values['profile-dir'] !== undefined;
  const names = values.scenario?.split(',') ?? (profiling ? ['200-streams'] : scenarios.map((s) => s.name));
  const selected = names.map((name) => {
    const scenario = scenarios.find((candidate) => candidate.name === name.trim());
    if (!scenario) throw new Error(`unknown scenario "${name}"\n\n${usage}`);
    return scenario;
  });
  const nginx = values.nginx ? findNginx() : undefined;
  if (values.nginx && !nginx) throw new Error('--nginx: no nginx on PATH (on Debian: apt-get install nginx)');
  const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
  if (seconds !== undefined && !(seconds > 0)) throw new Error('--seconds must be a positive number');
  return {
    // A profile needs many samples: it runs as long as the full run does.
    full: values.full || profiling,
    selected,
    seconds,
    profileDir: profiling
      ? (values['profile-dir'] ?? mkdtempSync(join(tmpdir(), 'sluice-profile-')))
      : undefined,
    logLevel: values['log-level'],
    nginx,
    floor: values.floor,
    nodeFlags: values['node-flags'].split(' ').filter((flag) => flag !== ''),
  };
}

/** A running Sluice under test. */
interface SluiceUnderTest {
  process: WatchedProcess;
  wsUrl: string;
  apiUrl: string;
}

interface Rig {
  options: Options;
  processes: ChildProcesses;
  layout: CpuLayout;
  ticksPerSecond: number;
  workDir: string;
  upstreamBaseUrl: string;
  /** nginx relaying the fake upstream, when asked for. */
  nginx?: { process: WatchedProcess; baseUrl: string };
  /** The minimal Node relay, when asked for. */
  floor?: { process: WatchedProcess; wsUrl: string };
}

async function startSluice(rig: Rig): Promise<SluiceUnderTest> {
  const configPath = join(rig.workDir, 'sluice.yaml');
  const storePath = join(mkdtempSync(join(rig.workDir, 'store-')), 'sluice.db');
  writeFileSync(
    configPath,
    benchConfigYaml({ upstreamBaseUrl: rig.upstreamBaseUrl, storePath, logLevel: rig.options.logLevel }),
  );
  const profileFlags = rig.options.profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${rig.options.profileDir}`]
    : [];
  const sluice = rig.processes.spawn({
    name: 'sluice',
    args: [
      ...startScript.nodeFlags,
      ...rig.options.nodeFlags,
      ...profileFlags,
      startScript.entryPoint,
      '--config',
      configPath,
    ],
    cpus: rig.layout.sluiceCpus,
    cwd: repositoryRoot,
  });
  const listening = await sluice.waitForLine<{ port: number }>(
    (line) => typeof line.msg === 'string' && line.msg.startsWith('Sluice listening'),
    30_000,
    'listening line',
  );
  return {
    process: sluice,
    wsUrl: `ws://127.0.0.1:${listening.port}/v1/ws`,
    apiUrl: `http://127.0.0.1:${listening.port}/v1`,
  };
}

/** Source addresses for `connections` connections: one loopback address per 5,000, so ports never run short. */
function localAddressesFor(connections: number): string[] {
  return Array.from(
    { length: Math.max(1, Math.ceil(connections / 5000)) },
    (_, index) => `127.0.0.${index + 1}`,
  );
}

/**
 * Runs the load generator on the rig's cores: it connects, then the window opens on the relay's
 * process, then the load runs; connection set-up stays outside what is measured.
 */
async function runLoad<T extends LoadMessage>(
  rig: Rig,
  plan: LoadPlan,
  relayPid: number,
  onReady: (opened: number) => Promise<void> = async () => {},
): Promise<{ message: T; window: WindowMeasurement }> {
  const generator = rig.processes.spawn({
    name: 'load-generator',
    args: ['bench/load-generator.ts', JSON.stringify(plan)],
    cpus: rig.layout.rigCpus,
    cwd: repositoryRoot,
  });
  const connections = plan.kind === 'idle' ? plan.connections : plan.door === 'ws' ? plan.connections : 0;
  const ready = await generator.waitForLine<{ opened: number }>(
    (line) => line.event === 'ready',
    30_000 + connections * 20,
    'ready',
  );
  await onReady(ready.opened);
  const window = startMeasurementWindow(relayPid, rig.ticksPerSecond, rig.layout);
  const runMs = plan.kind === 'idle' ? plan.holdMs : plan.durationMs;
  const finished = generator.waitForLine<T>(
    (line) => line.event === 'result' || line.event === 'idle-result',
    runMs + 90_000,
    'result',
  );
  generator.child.stdin!.write('go\n');
  const message = await finished;
  const measured = window.finish();
  await generator.exited;
  // Let the relay finish closing the run's connections before the next window opens.
  await delay(300);
  return { message, window: measured };
}

function secondsOf(rig: Rig, scenario: Scenario): number {
  return rig.options.seconds ?? (rig.options.full ? scenario.fullSeconds : scenario.shortSeconds);
}

/**
 * Where a stream plan's load goes: through one of Sluice's doors, as plain OpenAI SSE to an API root
 * (the fake upstream itself, or nginx in front of it), or over `sluice.v1` to the minimal Node relay.
 */
type Target = { sluice: SluiceUnderTest } | { apiRoot: string } | { floorWsUrl: string };

function streamPlan(rig: Rig, scenario: StreamScenario, target: Target): StreamPlan {
  const load = {
    kind: 'streams' as const,
    streams: scenario.streams,
    connections: scenario.connections,
    shape: scenario.shape,
    durationMs: secondsOf(rig, scenario) * 1000,
    localAddresses: localAddressesFor(scenario.connections),
  };
  if ('apiRoot' in target) return { ...load, door: 'direct', url: target.apiRoot, model: 'bench-model' };
  if ('floorWsUrl' in target) return { ...load, door: 'ws', url: target.floorWsUrl, model: benchModel };
  const { sluice } = target;
  return {
    ...load,
    door: scenario.door,
    url: scenario.door === 'ws' ? sluice.wsUrl : sluice.apiUrl,
    model: benchModel,
    ...(scenario.burstReading === undefined ? {} : { burstReading: scenario.burstReading }),
  };
}

/** Runs one scenario's load one way and reports it as a row; `measured` is the relay's process. */
async function runStreamRow(
  rig: Rig,
  scenario: StreamScenario,
  path: StreamRow['path'],
  target: Target,
  measured: WatchedProcess,
): Promise<StreamRow> {
  const { message, window } = await runLoad<{ event: 'result'; result: StreamResult }>(
    rig,
    streamPlan(rig, scenario, target),
    measured.pid,
  );
  return {
    kind: 'streams',
    scenario: scenario.name,
    path,
    result: message.result,
    // The direct run's window is on Sluice's process too, but there is no relay to report.
    ...(path === 'direct' ? {} : { relay: window.relay }),
    rigBusy: window.rigBusy,
  };
}

async function runStreamScenario(
  rig: Rig,
  scenario: StreamScenario,
  sluice: SluiceUnderTest,
): Promise<StreamRow[]> {
  const rows: StreamRow[] = [];
  if (scenario.baseline) {
    rows.push(await runStreamRow(rig, scenario, 'direct', { apiRoot: rig.upstreamBaseUrl }, sluice.process));
    if (rig.nginx) {
      rows.push(
        await runStreamRow(rig, scenario, 'nginx', { apiRoot: rig.nginx.baseUrl }, rig.nginx.process),
      );
    }
    if (rig.floor && scenario.door === 'ws') {
      rows.push(
        await runStreamRow(rig, scenario, 'node floor', { floorWsUrl: rig.floor.wsUrl }, rig.floor.process),
      );
    }
  }
  const path = scenario.door === 'ws' ? 'sluice ws' : 'sluice http';
  rows.push(await runStreamRow(rig, scenario, path, { sluice }, sluice.process));
  return rows;
}

/** Memory per idle connection: RSS with every connection open, less RSS before, on a fresh Sluice. */
async function runIdleScenario(rig: Rig, scenario: IdleScenario, sluice: SluiceUnderTest): Promise<IdleRow> {
  const rssBeforeBytes = readProcessMemory(sluice.process.pid).rssBytes;
  let rssAfterBytes = rssBeforeBytes;
  const { message, window } = await runLoad<{ event: 'idle-result'; result: IdleResult }>(
    rig,
    {
      kind: 'idle',
      url: sluice.wsUrl,
      connections: scenario.connections,
      holdMs: secondsOf(rig, scenario) * 1000,
      localAddresses: localAddressesFor(scenario.connections),
    },
    sluice.process.pid,
    async () => {
      // The last handshakes' garbage is not memory the connections keep: let a collection run first.
      await delay(1000);
      rssAfterBytes = readProcessMemory(sluice.process.pid).rssBytes;
    },
  );
  return {
    kind: 'idle',
    scenario: scenario.name,
    connections: scenario.connections,
    result: message.result,
    rssBeforeBytes,
    rssAfterBytes,
    peakRssBytes: window.relay.peakRssBytes,
    rigBusy: window.rigBusy,
  };
}

/** A short load that is not reported, so the first scenario does not measure the JIT compiler. */
async function warmUp(rig: Rig, sluice: SluiceUnderTest): Promise<void> {
  const warmUpScenario = scenarios.find((scenario) => scenario.name === '50-streams') as StreamScenario;
  const plan = { ...streamPlan(rig, warmUpScenario, { sluice }), durationMs: 1500 };
  await runLoad(rig, plan, sluice.process.pid);
  if (rig.floor) {
    const floorPlan = {
      ...streamPlan(rig, warmUpScenario, { floorWsUrl: rig.floor.wsUrl }),
      durationMs: 1500,
    };
    await runLoad(rig, floorPlan, rig.floor.process.pid);
  }
}

/** nginx in front of the fake upstream, on Sluice's core: it is measured as Sluice is. */
async function startNginx(
  program: string,
  processes: ChildProcesses,
  layout: CpuLayout,
  workDir: string,
  upstreamBaseUrl: string,
): Promise<Rig['nginx']> {
  const nginx = await prepareNginx(join(workDir, 'nginx'), upstreamBaseUrl);
  const relay = processes.spawn({
    name: 'nginx',
    program,
    args: nginx.args,
    cpus: layout.sluiceCpus,
    cwd: workDir,
  });
  await Promise.race([
    nginx.ready(),
    relay.exited.then((code) => {
      throw new Error(`nginx exited (${code}): ${relay.stderrTail().trim()}`);
    }),
  ]);
  return { process: relay, baseUrl: nginx.baseUrl };
}

/** The minimal Node relay in front of the fake upstream, on Sluice's core: measured as Sluice is. */
async function startFloor(
  processes: ChildProcesses,
  layout: CpuLayout,
  upstreamBaseUrl: string,
): Promise<Rig['floor']> {
  const relay = processes.spawn({
    name: 'node-floor-relay',
    // Run as Sluice runs: compiled (the build before the run compiles bench/ too), with npm start's flags.
    args: [...startScript.nodeFlags, 'dist/bench/node-floor-relay.js', upstreamBaseUrl],
    cpus: layout.sluiceCpus,
    cwd: repositoryRoot,
  });
  const { port } = await relay.waitForLine<{ port: number }>(
    (line) => typeof line.port === 'number',
    30_000,
    'listening line',
  );
  return { process: relay, wsUrl: `ws://127.0.0.1:${port}/` };
}

function newestProfile(directory: string): string | undefined {
  const files = readdirSync(directory)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(directory, name));
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

async function run(options: Options, processes: ChildProcesses, workDir: string): Promise<void> {
  const layout = readCpuLayout();
  if (layout.rigCpus) pinThisProcess(layout.rigCpus);
  const pinning = layout.sluiceCpus
    ? `Sluice pinned to CPU ${layout.sluiceCpus.join(',')}, rig to CPU ${layout.rigCpus!.join(',')}`
    : 'one CPU: nothing pinned, so Sluice and the rig share it and every figure includes the rig';
  process.stdout.write(
    `Sluice benchmark, ${options.full ? 'full' : 'short'} run, ${new Date().toISOString()}\n` +
      `${describeMachine(layout)}\n${pinning}; Sluice log level ${options.logLevel}, started as ` +
      `${['node', ...startScript.nodeFlags, ...options.nodeFlags, startScript.entryPoint].join(' ')}\n\n`,
  );

  const fake = processes.spawn({
    name: 'fake-upstream',
    args: ['bench/fake-load-upstream.ts'],
    cpus: layout.rigCpus,
    cwd: repositoryRoot,
  });
  const { baseUrl } = await fake.waitForLine<{ baseUrl: string }>(
    (line) => typeof line.baseUrl === 'string',
    30_000,
    'listening line',
  );
  const rig: Rig = {
    options,
    processes,
    layout,
    ticksPerSecond: readTicksPerSecond(),
    workDir,
    upstreamBaseUrl: baseUrl,
    nginx: options.nginx ? await startNginx(options.nginx, processes, layout, workDir, baseUrl) : undefined,
    floor: options.floor ? await startFloor(processes, layout, baseUrl) : undefined,
  };

  let sluice = await startSluice(rig);
  progress('warming up');
  await warmUp(rig, sluice);
  const rows: ReportRow[] = [];
  for (const scenario of options.selected) {
    progress(`${scenario.name}: ${scenario.description}, ${secondsOf(rig, scenario)} s`);
    if (scenario.kind === 'streams') {
      const linesBefore = sluice.process.lineCount();
      const scenarioRows = await runStreamScenario(rig, scenario, sluice);
      const requests = scenarioRows.find((row) => row.path.startsWith('sluice'))?.result.requests ?? 0;
      progress(`  Sluice logged ${sluice.process.lineCount() - linesBefore} lines for ${requests} requests`);
      rows.push(...scenarioRows);
      continue;
    }
    // Idle memory is measured on a fresh process, so earlier scenarios' heap does not hide it.
    await processes.stop(sluice.process);
    sluice = await startSluice(rig);
    rows.push(await runIdleScenario(rig, scenario, sluice));
  }

  process.stdout.write(`${renderTable(rows)}\n\nTargets:\n${renderTargets(checkTargets(rows))}\n`);
  if (rows.some((row) => row.rigBusy >= saturatedShare)) {
    process.stdout.write(
      '\nA row marked SATURATED measured the rig as much as Sluice: read its latency with care.\n',
    );
  }

  if (options.profileDir) {
    await processes.stop(sluice.process);
    const file = newestProfile(options.profileDir);
    if (!file) throw new Error(`Sluice wrote no .cpuprofile to ${options.profileDir}`);
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    process.stdout.write(
      `\nCPU profile of Sluice (${file}):\n${renderCpuProfileSummary(summarizeCpuProfile(profile, repositoryRoot))}\n`,
    );
  }
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseOptions();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  // What `npm start` runs before it starts Sluice (the build): the bench never measures a stale one.
  execFileSync('npm', ['run', '--silent', '--if-present', 'prestart'], {
    cwd: repositoryRoot,
    stdio: 'inherit',
  });
  const processes = createChildProcesses();
  const workDir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const removeWorkDir = () => rmSync(workDir, { recursive: true, force: true });
  process.on('exit', () => {
    processes.killAllNow();
    removeWorkDir();
  });
  let interrupted = false;
  const interrupt = (signal: NodeJS.Signals) => {
    interrupted = true;
    progress(`\n${signal}: stopping every process the benchmark started`);
    void processes.stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    await run(options, processes, workDir);
    await processes.stopAll();
  } catch (error) {
    // After Ctrl-C the run fails because its processes were stopped: that is no news.
    if (!interrupted) progress(`benchmark failed: ${(error as Error).message}`);
    await processes.stopAll();
    process.exitCode = 1;
  }
}

await main();
