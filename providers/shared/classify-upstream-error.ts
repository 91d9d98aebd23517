import { GatewayError, isGatewayError } from '../../src/errors/gateway-error.ts';

/** Reads a `Retry-After` header (seconds or an HTTP date) as milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const connectionErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

function errorCodeChain(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

function readHeader(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** Maps an upstream HTTP status to the protocol's error. */
export function errorFromUpstreamStatus(
  status: number,
  message: string,
  retryAfterHeader?: string | null,
  cause?: unknown,
): GatewayError {
  const retryAfterMs = parseRetryAfter(retryAfterHeader);
  // SDK messages often start with the status already ("429 Rate limit..."): say it once.
  const detail = message.startsWith(`${status} `) ? message.slice(String(status).length + 1) : message;
  const text = `upstream answered ${status}: ${detail}`;
  // The client's own request was rejected as invalid: retrying elsewhere will not help.
  if (status === 400 || status === 413 || status === 422) {
    return new GatewayError('bad_request', text, { upstreamStatus: status, cause });
  }
  if (status === 408 || status === 504) {
    return new GatewayError('upstream_timeout', text, { retryable: true, upstreamStatus: status, cause });
  }
  const retryable = status === 429 || status >= 500;
  return new GatewayError('upstream_error', text, { retryable, retryAfterMs, upstreamStatus: status, cause });
}

/**
 * Turns whatever an SDK or `fetch` threw into a GatewayError: HTTP statuses (with Retry-After),
 * refused or reset connections and timeouts. Works on the OpenAI and Anthropic SDK errors alike,
 * which both carry `status` and `headers`.
 */
export function classifyUpstreamError(error: unknown): GatewayError {
  if (isGatewayError(error)) return error;
  const candidate = error as { status?: unknown; headers?: unknown; message?: unknown; name?: unknown };
  const message = typeof candidate?.message === 'string' ? candidate.message : String(error);
  if (typeof candidate?.status === 'number') {
    return errorFromUpstreamStatus(
      candidate.status,
      message,
      readHeader(candidate.headers, 'retry-after'),
      error,
    );
  }
  const name = typeof candidate?.name === 'string' ? candidate.name : '';
  if (/Timeout/i.test(name) || errorCodeChain(error).some((code) => code.includes('TIMEOUT'))) {
    return new GatewayError('upstream_timeout', `upstream timed out: ${message}`, {
      retryable: true,
      cause: error,
    });
  }
  const codes = errorCodeChain(error);
  if (
    codes.some((code) => connectionErrorCodes.has(code)) ||
    /Connection|fetch failed/i.test(`${name} ${message}`)
  ) {
    return new GatewayError('upstream_error', `upstream connection failed: ${codes[0] ?? message}`, {
      retryable: true,
      cause: error,
    });
  }
  return new GatewayError('upstream_error', `upstream failed: ${message}`, { retryable: true, cause: error });
}
