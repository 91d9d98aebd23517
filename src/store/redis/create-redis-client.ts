import { once } from 'node:events';
import { Redis } from 'ioredis';
import { GatewayError } from '../../errors/gateway-error.ts';

export interface RedisClientOptions {
  /** How long one command may wait for its reply before it fails. */
  commandTimeoutMs?: number;
  /** Connection errors (the client keeps reconnecting by itself). */
  onError?: (error: Error) => void;
}

/**
 * An ioredis client that fails fast instead of queueing: while Redis is unreachable every command
 * rejects at once, so quota checks fail closed rather than hang; it keeps reconnecting by itself.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const commandTimeout = options.commandTimeoutMs ?? 2000;
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout,
    connectTimeout: commandTimeout,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  redis.on('error', options.onError ?? (() => {}));
  return redis;
}

/** Opens a fail-fast client and waits until it is ready, so start-up refuses a Redis it cannot reach. */
export async function connectRedis(url: string, options: RedisClientOptions = {}): Promise<Redis> {
  const redis = createRedisClient(url, options);
  try {
    if (redis.status !== 'ready') await once(redis, 'ready');
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${(error as Error).message}`);
  }
  return redis;
}

/** The error every Redis-backed store throws when Redis cannot answer: callers fail closed. */
export function redisUnavailable(cause: unknown, what = 'the usage store'): GatewayError {
  return new GatewayError('unavailable', `${what} is unavailable`, { cause });
}

/** A Redis URL without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured URL';
  }
}
