import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script run by its SHA (EVALSHA), loaded on the first NOSCRIPT, so each call sends only its arguments. */
export function createRedisScript(lua: string) {
  const sha = createHash('sha1').update(lua).digest('hex');
  return {
    async run(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return await redis.eval(lua, keys.length, ...keys, ...args);
      }
    },
  };
}

export type RedisScript = ReturnType<typeof createRedisScript>;
