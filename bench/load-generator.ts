import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { formatLoadPrompt, type LoadShape } from './fake-load-upstream.ts';
import { createSseLoadClient } from './sse-load-client.ts';
import {
  createStreamMeasurements,
  type StreamMeasurements,
  type StreamResult,
} from './stream-measurements.ts';
import { openWsLoadConnection, type WsLoadConnection } from './ws-load-client.ts';

/** How the load reaches its server: Sluice's WebSocket or HTTP door, or the fake upstream itself. */
export type Door = 'ws' | 'http' | 'direct';

/** Concurrent streams for a fixed time; each stream starts its next request when one ends. */
export interface StreamPlan {
  kind: 'streams';
  door: Door;
  /** A `ws://` URL for the WebSocket door, an API root (ending in `/v1`) for the others. */
  url: string;
  model: string;
  streams: number;
  /** The WebSocket connections the streams are spread over (`ws` only). */
  connections: number;
  shape: LoadShape;
  durationMs: number;
  /** A slow reader (`ws` only). */
  burstReading?: BurstReading;
  /** Source addresses to connect from, in turn, so many connections do not run out of ports. */
  localAddresses: string[];
}

/** A client that alternately stops reading and reads. */
export interface BurstReading {
  pauseMs: number;
  readMs: number;
}

/** Open WebSocket connections that send nothing, held for a time. */
export interface IdlePlan {
  kind: 'idle';
  url: string;
  connections: number;
  holdMs: number;
  localAddresses: string[];
}

/** What one load-generator process is told to do. */
export type LoadPlan = StreamPlan | IdlePlan;

/** What an idle run saw. */
export interface IdleResult {
  opened: number;
  /** Connections still open at the end of the hold. */
  stillOpen: number;
  errors: number;
  errorSamples: string[];
}

/** Lines the load generator prints, one JSON object each. */
export type LoadMessage =
  | { event: 'ready'; opened: number }
  | { event: 'result'; result: StreamResult }
  | { event: 'idle-result'; result: IdleResult };

/** Handshakes in flight at once while opening connections. */
const handshakeConcurrency = 100;

/** How long after the end of the run a request may still finish before it counts as failed. */
const tailMs = 30_000;

/** Opens `count` connections, a bounded number at a time; failures are counted, not thrown. */
async function openConnections(
  url: string,
  count: number,
  localAddresses: string[],
  measurements: StreamMeasurements,
): Promise<WsLoadConnection[]> {
  const connections: WsLoadConnection[] = [];
  let next = 0;
  const opener = async () => {
    while (next < count) {
      const index = next++;
      try {
        connections.push(await openWsLoadConnection(url, localAddresses[index % localAddresses.length]));
      } catch (error) {
        measurements.connectionFailed(`connect: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, handshakeConcurrency) }, opener));
  return connections;
}

/**
 * Makes a connection read in bursts: it stops reading for `pauseMs`, then reads freely for `readMs`,
 * as a phone on a flaky link does. While it stops, tokens arrive faster than it reads them.
 */
function readInBursts(connection: WsLoadConnection, { pauseMs, readMs }: BurstReading): NodeJS.Timeout {
  connection.socket.pause();
  return setInterval(() => {
    connection.socket.resume();
    setTimeout(() => connection.socket.pause(), readMs);
  }, pauseMs + readMs);
}

/** Runs a stream plan over already open connections (or none, for HTTP) and measures it. */
export async function runStreams(
  plan: StreamPlan,
  connections: WsLoadConnection[],
  measurements: StreamMeasurements,
): Promise<StreamResult> {
  const shapePrompt = formatLoadPrompt(plan.shape);
  const sse = plan.door === 'ws' ? undefined : createSseLoadClient(plan.url);
  const startedAt = performance.now();
  const deadline = startedAt + plan.durationMs;
  const giveUp = delay(plan.durationMs + tailMs, undefined, { ref: false });
  // Streams start spread over a short ramp, as users arrive, not all in the same millisecond.
  const rampMs = Math.min(1000, plan.durationMs / 5);
  const readers =
    plan.burstReading === undefined
      ? []
      : connections.map((connection) => readInBursts(connection, plan.burstReading!));

  const stream = async (index: number) => {
    await delay((index / plan.streams) * rampMs);
    const connection = connections[index % Math.max(1, connections.length)];
    for (let sequence = 0; performance.now() < deadline; sequence++) {
      // Every prompt differs, so Sluice's response cache and coalescing never stand in for the relay.
      const prompt = `${shapePrompt} request=${index}.${sequence}`;
      const tracker = measurements.startRequest();
      if (sse) sse.chat(plan.model, prompt, tracker);
      else if (connection?.isOpen()) connection.chat(`${index}.${sequence}`, plan.model, prompt, tracker);
      else {
        tracker.failed('connection is not open');
        return;
      }
      await Promise.race([tracker.settled, giveUp]);
      // A no-op for a request that has already ended; counts one that never will as failed.
      tracker.failed('no end of reply within 30 s of the end of the run');
    }
  };
  await Promise.all(Array.from({ length: plan.streams }, (_, index) => stream(index)));
  const elapsedMs = performance.now() - startedAt;
  for (const reader of readers) clearInterval(reader);
  sse?.close();
  return measurements.result(elapsedMs);
}

/** Holds idle connections and counts those the server dropped. */
async function holdIdle(
  plan: IdlePlan,
  connections: WsLoadConnection[],
  measurements: StreamMeasurements,
): Promise<IdleResult> {
  await delay(plan.holdMs);
  const stillOpen = connections.filter((connection) => connection.isOpen()).length;
  const { errors, errorSamples } = measurements.result(0);
  return {
    opened: connections.length,
    stillOpen,
    errors: errors + connections.length - stillOpen,
    errorSamples,
  };
}

function print(message: LoadMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** The process: opens connections, says `ready`, runs on `go` from standard input, prints the result. */
async function main(plan: LoadPlan): Promise<void> {
  const measurements = createStreamMeasurements();
  const wantsConnections = plan.kind === 'idle' || plan.door === 'ws';
  const connections = wantsConnections
    ? await openConnections(plan.url, plan.connections, plan.localAddresses, measurements)
    : [];
  print({ event: 'ready', opened: connections.length });
  const lines = createInterface({ input: process.stdin });
  const [line] = (await once(lines, 'line')) as [string];
  if (line.trim() !== 'go') throw new Error(`expected "go", got ${JSON.stringify(line)}`);
  if (plan.kind === 'idle')
    print({ event: 'idle-result', result: await holdIdle(plan, connections, measurements) });
  else print({ event: 'result', result: await runStreams(plan, connections, measurements) });
  lines.close();
  for (const connection of connections) connection.socket.terminate();
  process.exit(0);
}

if (import.meta.main) await main(JSON.parse(process.argv[2] ?? '{}') as LoadPlan);
