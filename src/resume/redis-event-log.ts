import type { Redis } from 'ioredis';
import { GatewayError, isGatewayError } from '../errors/gateway-error.ts';
import { createRedisScript } from '../store/redis/redis-script.ts';
import { type EventLog, eventLogGap, eventLogNotFound, type LoggedEvent } from './event-log.ts';

/** Where and how long the Redis event log keeps requests' frames. */
export interface RedisEventLogOptions {
  /**
   * The connection for writes and short reads, shared and closed by its owner; create it with
   * `enableOfflineQueue: false`. Each reader that follows live events gets its own duplicate of it,
   * because a blocking `XREAD` holds its connection until it returns.
   */
  redis: Redis;
  /** Put before every key, so that different deployments can share one Redis. */
  prefix: string;
  /**
   * How long a log is kept after its end, and also after its last write while it is open: a log
   * whose instance died mid-request expires instead of making its readers wait forever.
   */
  retentionMs: number;
  /** The least events kept per request (`XADD MAXLEN ~`: Redis trims in whole blocks, so a few more may stay). */
  maxEvents: number;
  /** How long one blocking read waits before checking that the log still exists. Defaults to 5 s. */
  blockMs?: number;
}

/** Takes the owner key only if it is free, and then clears any events an older log left behind. */
const claimScript = createRedisScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('DEL', KEYS[2])
  return 1
end
return 0`);

/** The most events one read command fetches, so that a long replay never becomes one huge reply. */
const pageSize = 256;

/**
 * An `EventLog` in Redis Streams, shared by every Sluice instance on the same Redis and prefix: a
 * request running on one instance can be resumed on another. Each request has a stream of its frames
 * (entry id `<seq>-1`, so the id orders and numbers them; `0-0` is not a valid id) ending with an end
 * marker entry, and a string key with its owner; both expire together.
 *
 * A reader fetches with `XREAD` after the id of the last event it returned, first on the shared
 * connection, then blocking on its own: the replayed and the live events come from the same ordered
 * stream and cursor, so none is missed or repeated at the boundary.
 */
export function createRedisEventLog(options: RedisEventLogOptions): EventLog {
  const { redis, prefix, retentionMs, maxEvents } = options;
  const blockMs = options.blockMs ?? 5_000;
  // The braces are a Redis Cluster hash tag: both keys of a request land on one node, for MULTI.
  const eventsKey = (requestId: string) => `${prefix}{${requestId}}:events`;
  const ownerKey = (requestId: string) => `${prefix}{${requestId}}:owner`;
  const followers = new Set<Redis>();

  /**
   * Runs a MULTI that then refreshes the owner key, which tells whether the log exists; with
   * `forget`, the owner key is deleted last instead, so new readers and claims find no log.
   */
  const writeToOpenLog = async (
    requestId: string,
    transaction: ReturnType<Redis['multi']>,
    forget = false,
  ) => {
    transaction.pexpire(ownerKey(requestId), retentionMs);
    if (forget) transaction.del(ownerKey(requestId));
    const results = await call(() => transaction.exec());
    for (const [error] of results ?? []) if (error) throw unavailable(error);
    if (results?.at(forget ? -2 : -1)?.[1] !== 1) throw eventLogNotFound(requestId);
  };

  const follow = async () => {
    const follower = redis.duplicate({
      lazyConnect: true,
      enableOfflineQueue: false,
      // A blocking read must outlast a command timeout, and a dead socket must still end it.
      commandTimeout: undefined,
      blockingTimeout: blockMs,
      // A reader whose connection broke fails; the client resumes again rather than waiting here.
      retryStrategy: () => null,
    });
    // Failures reach the reader through its rejected command; the event would only be noise.
    follower.on('error', () => {});
    followers.add(follower);
    try {
      await follower.connect();
    } catch (error) {
      followers.delete(follower);
      follower.disconnect();
      throw unavailable(error);
    }
    return follower;
  };

  return {
    async open(requestId, owner) {
      const transaction = redis
        .multi()
        .del(eventsKey(requestId))
        .set(ownerKey(requestId), owner, 'PX', retentionMs);
      const results = await call(() => transaction.exec());
      for (const [error] of results ?? []) if (error) throw unavailable(error);
    },
    async claim(requestId, owner) {
      const keys = [ownerKey(requestId), eventsKey(requestId)];
      return (await call(() => claimScript.run(redis, keys, [owner, retentionMs]))) === 1;
    },
    async append(requestId, event) {
      const key = eventsKey(requestId);
      const transaction = redis
        .multi()
        .xadd(key, 'MAXLEN', '~', maxEvents, `${event.seq}-1`, 'frame', event.frame)
        .pexpire(key, retentionMs);
      await writeToOpenLog(requestId, transaction);
    },
    async touch(requestId) {
      const key = eventsKey(requestId);
      await writeToOpenLog(requestId, redis.multi().pexpire(key, retentionMs));
    },
    async end(requestId, endOptions = {}) {
      const key = eventsKey(requestId);
      // `*` gives the marker the current time as its id: far above any seq, so it sorts last.
      const transaction = redis.multi().xadd(key, '*', 'end', '1').pexpire(key, retentionMs);
      await writeToOpenLog(requestId, transaction, endOptions.forget);
    },
    async *read(requestId, afterSeq, readOptions = {}) {
      const { signal } = readOptions;
      const key = eventsKey(requestId);
      if ((await call(() => redis.exists(ownerKey(requestId)))) === 0) throw eventLogNotFound(requestId);
      let follower: Redis | undefined;
      const onAbort = () => follower?.disconnect();
      signal?.addEventListener('abort', onAbort, { once: true });
      let lastSeq = Math.max(afterSeq, -1);
      let cursor = lastSeq < 0 ? '0-0' : `${lastSeq}-1`;
      try {
        while (!signal?.aborted) {
          const reply = follower
            ? await follower.xread('COUNT', pageSize, 'BLOCK', blockMs, 'STREAMS', key, cursor)
            : await redis.xread('COUNT', pageSize, 'STREAMS', key, cursor);
          const entries = reply?.[0]?.[1] ?? [];
          if (entries.length === 0) {
            if (follower === undefined) follower = await follow();
            else if ((await redis.exists(ownerKey(requestId))) === 0) throw eventLogNotFound(requestId);
            continue;
          }
          for (const [id, fields] of entries) {
            const event = parseEntry(id, fields);
            if (event === undefined) return;
            if (event.seq !== lastSeq + 1) throw eventLogGap(requestId, lastSeq);
            yield event;
            lastSeq = event.seq;
            cursor = id;
          }
        }
      } catch (error) {
        if (signal?.aborted) return;
        throw isGatewayError(error) ? error : unavailable(error);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        if (follower !== undefined) {
          followers.delete(follower);
          follower.disconnect();
        }
      }
    },
    async owner(requestId) {
      return (await call(() => redis.get(ownerKey(requestId)))) ?? undefined;
    },
    async close() {
      for (const follower of followers) follower.disconnect();
      followers.clear();
    },
  };
}

/** An event from a stream entry, or undefined for the end marker. */
function parseEntry(id: string, fields: string[]): LoggedEvent | undefined {
  if (fields[0] !== 'frame') return undefined;
  return { seq: Number(id.slice(0, id.indexOf('-'))), frame: fields[1] ?? '' };
}

/** Runs one Redis call, turning its failure into the protocol's `unavailable`. */
async function call<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    throw unavailable(error);
  }
}

/** The error for any failure of Redis itself, so that the caller can go on without resuming. */
function unavailable(error: unknown): GatewayError {
  const reason = error instanceof Error ? error.message : String(error);
  return new GatewayError('unavailable', `The Redis event log is unavailable: ${reason}`, {
    retryable: true,
    cause: error,
  });
}
