import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** Which browser origins may use Sluice's doors, and which of them get CORS answers. */
export interface OriginPolicy {
  /** Whether the request may go on: it sends no `Origin` (not a browser page), or an allowed one. */
  admits(request: IncomingMessage): boolean;
  /** The origin to name in `Access-Control-Allow-Origin`: only a configured one, since own-origin pages need no CORS. */
  corsOrigin(request: IncomingMessage): string | undefined;
}

// The Host header is the client's to write: anything but a plain host[:port] (user info, a path) is not trusted.
const plainHost = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const ipv4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return address === '::1' || (isIP(ipv4) === 4 && ipv4.startsWith('127.'));
}

function isLoopbackName(hostname: string): boolean {
  return (
    hostname === 'localhost' || hostname === '[::1]' || (isIP(hostname) === 4 && hostname.startsWith('127.'))
  );
}

/** An origin header as a URL, or undefined for `null` (sandboxed frames, file: pages) and non-origins. */
function parseOrigin(origin: string): URL | undefined {
  const url = URL.parse(origin);
  return url !== null && url.origin === origin ? url : undefined;
}

/**
 * Whether `origin` is the request's own: the scheme (https over TLS), host and port it was sent to. On a
 * loopback connection the origin must also name a loopback host, or a page whose DNS name rebinds to
 * 127.0.0.1 (sending `Host: evil.example:8787` and a matching Origin) would pass as Sluice's own.
 */
function isOwnOrigin(request: IncomingMessage, origin: URL): boolean {
  const host = request.headers.host;
  if (host === undefined || !plainHost.test(host)) return false;
  const scheme = 'encrypted' in request.socket ? 'https' : 'http';
  if (URL.parse(`${scheme}://${host}`)?.origin !== origin.origin) return false;
  return !isLoopbackAddress(request.socket.localAddress) || isLoopbackName(origin.hostname);
}

/**
 * The browser-origin rule of both doors (`server.allowed_origins`): not set, only Sluice's own origin (the
 * chat page it serves); set, exactly the listed origins, `*` any. Clients that send no `Origin` always pass.
 */
export function createOriginPolicy(allowedOrigins: readonly string[] | undefined): OriginPolicy {
  const listed = new Set(allowedOrigins);
  const allowed = (request: IncomingMessage): string | undefined => {
    const origin = request.headers.origin;
    if (origin === undefined) return undefined;
    if (allowedOrigins !== undefined) return listed.has('*') || listed.has(origin) ? origin : undefined;
    const parsed = parseOrigin(origin);
    return parsed !== undefined && isOwnOrigin(request, parsed) ? origin : undefined;
  };
  return {
    admits: (request) => request.headers.origin === undefined || allowed(request) !== undefined,
    corsOrigin: (request) => (allowedOrigins === undefined ? undefined : allowed(request)),
  };
}
