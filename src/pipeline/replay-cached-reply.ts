import type { CachedReply } from '../cache/response-cache.ts';
import type { StreamPart } from '../spec/stream-part.ts';

/** A stored reply as a stream of parts, exactly as the provider once sent it. */
export async function* replayCachedReply(reply: CachedReply): AsyncGenerator<StreamPart> {
  for (const part of reply.parts) yield part;
  yield { type: 'finish', finishReason: reply.finishReason, usage: reply.usage };
}
