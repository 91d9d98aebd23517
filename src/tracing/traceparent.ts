import { randomBytes } from 'node:crypto';

/** A W3C Trace Context `traceparent`, decoded. */
export interface Traceparent {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** The caller's span: 16 lowercase hex digits, not all zero. */
  parentId: string;
  /** The trace flags byte (bit 0: sampled). */
  flags: number;
}

const versionZeroLength = 55;
const fields = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const allZero = /^0+$/;

/**
 * Decodes a `traceparent` header value, or returns undefined when it is not a valid one (a caller
 * then starts without a parent rather than failing the request). A version above `00` is read as
 * W3C asks: its first four fields as in `00`, anything after them ignored.
 */
export function parseTraceparent(value: unknown): Traceparent | undefined {
  if (typeof value !== 'string' || value.length < versionZeroLength) return undefined;
  const version = value.slice(0, 2);
  if (version === 'ff') return undefined;
  if (value.length > versionZeroLength && (version === '00' || value[versionZeroLength] !== '-')) {
    return undefined;
  }
  const match = fields.exec(value.slice(0, versionZeroLength));
  if (!match) return undefined;
  const [, , traceId = '', parentId = '', flags = ''] = match;
  if (allZero.test(traceId) || allZero.test(parentId)) return undefined;
  return { traceId, parentId, flags: Number.parseInt(flags, 16) };
}

/** Encodes a traceparent as a version `00` header value. */
export function formatTraceparent({ traceId, parentId, flags }: Traceparent): string {
  return `00-${traceId}-${parentId}-${flags.toString(16).padStart(2, '0')}`;
}

/** A random span id: 8 random bytes in hex, never all zero (which W3C reserves as invalid). */
export function randomSpanId(): string {
  for (;;) {
    const id = randomBytes(8).toString('hex');
    if (!allZero.test(id)) return id;
  }
}

/** The traceparent of a new span under `parent`: the same trace and flags, a new random span id. */
export function childTraceparent(parent: Traceparent): Traceparent {
  return { traceId: parent.traceId, parentId: randomSpanId(), flags: parent.flags };
}
