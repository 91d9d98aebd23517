import type { Logger } from 'pino';
import { createMemoryResponseCache } from '../cache/memory-response-cache.ts';
import type { ResponseCache } from '../cache/response-cache.ts';
import type { SharedCalls } from '../cache/shared-calls.ts';
import type { Config } from '../config/schema.ts';
import { createRateLimiters, type RateLimiters } from '../quota/create-rate-limiters.ts';
import { createResumeService, type ResumeService } from '../resume/create-resume-service.ts';
import { createMemoryEventLog } from '../resume/memory-event-log.ts';
import { createLocalRequestSignals } from '../resume/request-signals.ts';
import { openSqliteUsageStore } from '../store/sqlite/sqlite-usage-store.ts';
import type { UsageStore } from '../store/usage-store.ts';

/** Where a Sluice keeps its state: in this process (embedded), or shared with other instances (Redis). */
export interface Backends {
  store: UsageStore;
  limiters: RateLimiters;
  cache: ResponseCache;
  /** Present unless `resume.enabled` is false. */
  resume?: ResumeService;
  /** Present with Redis: coalescing across instances. */
  sharedCalls?: SharedCalls;
  /** Closes what was opened, after the requests that use it have ended. */
  close(): Promise<void>;
}

/** Opens the backends the config asks for; with Redis, rejects when Redis cannot be reached. */
export async function openBackends(config: Config, log: Logger): Promise<Backends> {
  if (config.store.backend !== 'redis') return openEmbeddedBackends(config, log);
  // Imported only here: ioredis alone adds ~22 MiB to a process, which an embedded Sluice never uses.
  const { openRedisBackends } = await import('./open-redis-backends.ts');
  return openRedisBackends(config, log);
}

function openEmbeddedBackends(config: Config, log: Logger): Backends {
  const store = openSqliteUsageStore(config.store.path);
  const cache = createMemoryResponseCache({ maxBytes: config.cache.max_bytes, ttlMs: config.cache.ttl_ms });
  const signals = createLocalRequestSignals();
  const resume = config.resume.enabled
    ? createResumeService({
        events: createMemoryEventLog({
          retentionMs: config.resume.retention_ms,
          maxEvents: config.resume.max_events,
          maxEndedBytes: config.resume.max_memory_bytes,
        }),
        signals,
        graceMs: config.resume.grace_ms,
        log,
      })
    : undefined;
  return {
    store,
    limiters: createRateLimiters(),
    cache,
    resume,
    async close() {
      await Promise.all([store.close(), cache.close(), resume?.close(), signals.close()]);
    },
  };
}
