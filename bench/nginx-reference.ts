import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * nginx relaying the fake upstream's SSE with `proxy_buffering off`: the yardstick, measured on
 * this machine in the same run, so a reader can tell this machine's speed from Sluice's own cost.
 */

/** The `nginx` executable on PATH, or undefined when it is not installed. */
export function findNginx(): string | undefined {
  try {
    return execFileSync('bash', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * One process (`master_process off`) so that its pid is the whole relay's cost; keep-alive to the
 * upstream as Sluice has; the access log buffered, as Sluice batches its request lines.
 */
export function nginxConfig(options: { directory: string; port: number; upstream: URL }): string {
  const { directory, port, upstream } = options;
  return `daemon off;
master_process off;
worker_rlimit_nofile 65536;
pid ${join(directory, 'nginx.pid')};
error_log ${join(directory, 'error.log')} warn;
events { worker_connections 16384; }
http {
  access_log ${join(directory, 'access.log')} combined buffer=64k flush=1s;
  client_body_temp_path ${join(directory, 'client-body')};
  proxy_temp_path ${join(directory, 'proxy')};
  fastcgi_temp_path ${join(directory, 'fastcgi')};
  uwsgi_temp_path ${join(directory, 'uwsgi')};
  scgi_temp_path ${join(directory, 'scgi')};
  keepalive_requests 1000000;
  upstream fake { server ${upstream.host}; keepalive 1024; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`;
}

/** A TCP port nobody listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something accepts connections on the port; nginx prints no line when ready. */
async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    await delay(50);
  }
  throw new Error(`nginx did not listen on port ${port} within ${timeoutMs} ms`);
}

/** Writes the configuration into `directory`; returns the arguments to start nginx with and its port. */
export async function prepareNginx(directory: string, upstreamBaseUrl: string) {
  mkdirSync(directory, { recursive: true });
  const upstream = new URL(upstreamBaseUrl);
  const port = await freePort();
  const configPath = join(directory, 'nginx.conf');
  writeFileSync(configPath, nginxConfig({ directory, port, upstream }));
  return {
    args: ['-p', directory, '-c', configPath, '-e', join(directory, 'error.log')],
    /** The same API root as the upstream's (`.../v1`), through nginx. */
    baseUrl: `http://127.0.0.1:${port}${upstream.pathname}`,
    ready: () => waitForPort(port, 10_000),
  };
}
