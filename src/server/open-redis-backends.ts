import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createRedisResponseCache } from '../cache/redis-response-cache.ts';
import { createSharedCalls } from '../cache/shared-calls.ts';
import type { Config } from '../config/schema.ts';
import { createRedisRateLimiters } from '../quota/redis/create-redis-rate-limiters.ts';
import { createResumeService } from '../resume/create-resume-service.ts';
import { createRedisEventLog } from '../resume/redis-event-log.ts';
import { createRedisRequestSignals } from '../resume/redis-request-signals.ts';
import { createSharedUsageStore } from '../store/create-shared-usage-store.ts';
import { connectRedis } from '../store/redis/create-redis-client.ts';
import { createRedisUsageStore } from '../store/redis/redis-usage-store.ts';
import { openSqliteUsageStore } from '../store/sqlite/sqlite-usage-store.ts';
import type { UsageStore } from '../store/usage-store.ts';
import type { Backends } from './open-backends.ts';

/** How long the log of a shared call is kept after it ended, for followers still reading it. */
const sharedCallRetentionMs = 30_000;

/** Opens the backends shared with other instances through Redis; rejects when Redis cannot be reached. */
export async function openRedisBackends(config: Config, log: Logger): Promise<Backends> {
  const { url, prefix, command_timeout_ms: commandTimeoutMs } = config.store.redis;
  // Logged once per outage: the client reconnects by itself and requests fail closed meanwhile.
  // Quiet until connected: a Redis that cannot be reached at start is the start-up error itself.
  let down = true;
  const redis: Redis = await connectRedis(url!, {
    commandTimeoutMs,
    onError: (error) => {
      if (!down) log.error({ err: error }, 'Redis is unreachable: requests fail with unavailable');
      down = true;
    },
  });
  down = false;
  redis.on('ready', () => {
    if (down) log.info('Redis is back');
    down = false;
  });
  const onError = (error: unknown) => log.warn({ err: error }, 'a Redis write failed');
  let ledger: UsageStore | undefined;
  let signals: Awaited<ReturnType<typeof createRedisRequestSignals>> | undefined;
  try {
    ledger = openSqliteUsageStore(config.store.path);
    signals = await createRedisRequestSignals({ redis, prefix, onError });
  } catch (error) {
    await ledger?.close();
    redis.disconnect();
    throw error;
  }
  const store = createSharedUsageStore({
    shared: createRedisUsageStore({ redis, prefix }),
    ledger,
    log,
  });
  const cache = createRedisResponseCache({
    redis,
    prefix: `${prefix}cache:`,
    ttlMs: config.cache.ttl_ms,
    maxBytes: config.cache.max_bytes,
  });
  const resume = config.resume.enabled
    ? createResumeService({
        events: createRedisEventLog({
          redis,
          prefix: `${prefix}resume:`,
          retentionMs: config.resume.retention_ms,
          maxEvents: config.resume.max_events,
        }),
        signals,
        graceMs: config.resume.grace_ms,
        log,
      })
    : undefined;
  const callLog = createRedisEventLog({
    redis,
    prefix: `${prefix}calls:`,
    retentionMs: sharedCallRetentionMs,
    maxEvents: config.resume.max_events,
  });
  return {
    store,
    limiters: createRedisRateLimiters(redis, prefix, (error) =>
      log.warn({ err: error }, 'a concurrency slot could not be given back: it frees when its lease ends'),
    ),
    cache,
    resume,
    sharedCalls: createSharedCalls(callLog, signals, randomUUID(), { retentionMs: sharedCallRetentionMs }),
    async close() {
      await Promise.all([store.close(), cache.close(), resume?.close(), callLog.close()]);
      await signals.close();
      redis.disconnect();
    },
  };
}
