import type { ChatRequest } from '../spec/chat-request.ts';

/** A route's caching rule: never, always, or only for requests sampled at temperature 0. */
export type RouteCacheMode = 'off' | 'on' | 'temperature-zero';

/** Whether a request may be answered from the cache, and whether its reply may be stored. */
export interface CacheUse {
  read: boolean;
  write: boolean;
}

/**
 * How one request uses the response cache. The route decides whether caching applies at all; then
 * `bypass` neither reads nor stores, `refresh` asks upstream and replaces what is stored. The
 * temperature is the one sent upstream (the client's, or the target's default): absent means the
 * provider's default, which is not 0.
 */
export function decideCacheUse(
  route: RouteCacheMode,
  request: ChatRequest['cache'],
  temperature: number | undefined,
): CacheUse {
  const applies = route === 'on' || (route === 'temperature-zero' && temperature === 0);
  if (!applies || request === 'bypass') return { read: false, write: false };
  return { read: request !== 'refresh', write: true };
}
