import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as wait } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { createRedisClient } from '../../src/store/redis/create-redis-client.ts';
import { until } from './until.ts';

/** A redis-server of one test's own, which the test may stop and start again (an outage). */
export interface RedisServerProcess {
  url: string;
  /** Shuts the server down (SHUTDOWN: its data is on disk) and waits for the process to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory, with the same data; waits until it answers PING. */
  start(): Promise<void>;
}

const host = '127.0.0.1';
/** How much of the server's last output a failure message quotes. */
const outputKept = 4000;

/**
 * Starts `redis-server` on a free loopback port, persisting every write to a temporary directory
 * (append-only file, fsync always, no snapshots) so its data survives `stop()` and `start()`. Skips
 * the test when `redis-server` is not installed. After the test, stops the server and removes the
 * directory.
 */
export async function startRedisServer(t: TestContext): Promise<RedisServerProcess | undefined> {
  if (spawnSync('redis-server', ['--version']).error) {
    t.skip('redis-server is not installed (it is needed to stop and start a Redis of the test own)');
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'sluice-redis-'));
  const port = await freePort();
  const args = ['--bind', host, '--port', String(port), '--dir', dir, '--save', ''];
  args.push('--appendonly', 'yes', '--appendfsync', 'always');
  let child: ChildProcess | undefined;

  const start = async () => {
    if (child) throw new Error('the test Redis is already running');
    let output = '';
    const running = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-outputKept);
    };
    running.stdout?.on('data', keep);
    running.stderr?.on('data', keep);
    const exited = once(running, 'exit').then(
      () => 'exited',
      () => 'exited',
    );
    child = running;
    const ready = untilPong(port);
    const outcome = await Promise.race([ready.then(() => 'ready'), exited]);
    if (outcome === 'exited') {
      ready.cancel();
      child = undefined;
      throw new Error(`redis-server on port ${port} exited while starting:\n${output}`);
    }
  };

  const stop = async () => {
    const running = child;
    if (!running) return;
    child = undefined;
    if (running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    try {
      await ask(port, 'SHUTDOWN');
    } catch {
      // Not accepting connections: SIGTERM shuts it down the same way.
      running.kill('SIGTERM');
    }
    await exited;
  };

  t.after(async () => {
    try {
      await stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  await start();
  return { url: `redis://${host}:${port}`, stop, start };
}

/**
 * `startRedisServer` plus a fail-fast client of it (500 ms command timeout), connected before this
 * resolves and disconnected after the test unless the test closed it first.
 */
export async function startRedisServerWithClient(
  t: TestContext,
): Promise<{ server: RedisServerProcess; redis: Redis } | undefined> {
  const server = await startRedisServer(t);
  if (!server) return undefined;
  const redis = createRedisClient(server.url, { commandTimeoutMs: 500 });
  t.after(() => {
    if (redis.status !== 'end') redis.disconnect();
  });
  await until(() => redis.status === 'ready');
  return { server, redis };
}

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Resolves once the server on `port` answers PING (it refuses connections, then answers LOADING, first). */
function untilPong(port: number): Promise<void> & { cancel(): void } {
  let cancelled = false;
  const answers = () =>
    ask(port, 'PING').then(
      (reply) => reply === '+PONG',
      () => false,
    );
  const polling = (async () => {
    while (!cancelled && !(await answers())) await wait(20);
  })();
  return Object.assign(polling, {
    cancel: () => {
      cancelled = true;
    },
  });
}

/**
 * Sends one inline command and resolves to the first line of the reply, or '' when the server closes
 * the connection instead (as SHUTDOWN does); rejects when nothing accepts the connection. A raw socket
 * rather than a client library, so no reconnection or closing timer outlives the question.
 */
async function ask(port: number, command: string): Promise<string> {
  const socket = connect(port, host);
  socket.setEncoding('utf8');
  try {
    await once(socket, 'connect');
    socket.write(`${command}\r\n`);
    let reply = '';
    try {
      for await (const chunk of socket) {
        reply += chunk;
        if (reply.includes('\r\n')) break;
      }
    } catch {
      // Closed by the server.
    }
    return reply.split('\r\n')[0] ?? '';
  } finally {
    socket.destroy();
  }
}
