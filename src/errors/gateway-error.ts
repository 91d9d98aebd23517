/** The error codes of the wire protocol (docs/protocol.md), and nothing else. */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'duplicate_id'
  | 'quota_exceeded'
  | 'rate_limited'
  | 'too_large'
  | 'upstream_error'
  | 'upstream_timeout'
  | 'unavailable'
  | 'internal';

/** The HTTP status each code maps to on the HTTP door. */
export const httpStatusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  duplicate_id: 409,
  quota_exceeded: 429,
  rate_limited: 429,
  too_large: 413,
  upstream_error: 502,
  upstream_timeout: 504,
  unavailable: 503,
  internal: 500,
};

export interface GatewayErrorOptions {
  /** A failure that another attempt (or another target) may not repeat. */
  retryable?: boolean;
  retryAfterMs?: number;
  /** The WebSocket close code, for errors that end the connection. */
  closeCode?: number;
  /** The HTTP status the upstream answered with, when there was one. */
  upstreamStatus?: number;
  /** The HTTP door's status when it is not the code's own: HTTP has finer ones (415, 408, 431) than the protocol's codes. */
  status?: number;
  cause?: unknown;
}

/** The only error type that crosses a module boundary. Its message is for people; its code for programs. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly closeCode: number | undefined;
  readonly upstreamStatus: number | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? httpStatusOf[code];
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.closeCode = options.closeCode;
    this.upstreamStatus = options.upstreamStatus;
  }
}

/** Whether a value is a GatewayError (also across module copies). */
export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** Wraps anything thrown into a GatewayError, keeping GatewayErrors as they are. */
export function toGatewayError(value: unknown, fallbackCode: ErrorCode = 'internal'): GatewayError {
  if (isGatewayError(value)) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new GatewayError(fallbackCode, message, { cause: value });
}
