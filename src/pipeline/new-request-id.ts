import { randomUUID } from 'node:crypto';

/**
 * A new request id: a UUID v7 (RFC 9562), whose first 48 bits are the time in milliseconds, so ids
 * sort by creation time and the usage ledger's primary-key inserts append to the end of its index
 * instead of landing on a random page. The other 74 bits are random, which keeps ids unique. Made
 * from a v4 (Node's cached entropy; its variant bits are v7's too) rather than `randomUUIDv7`, which
 * Node 22 lacks.
 */
export function newRequestId(): string {
  const random = randomUUID();
  const time = Date.now().toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
