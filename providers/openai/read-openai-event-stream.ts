import { createParser } from 'eventsource-parser';
import { APIError } from 'openai';
import type { StreamPart } from '../../src/spec/stream-part.ts';
import { createOpenAiChunkConverter } from './openai-chunks-to-parts.ts';

/**
 * Reads a streaming Chat Completions response body into parts. It does what the SDK's own stream
 * does (events up to `[DONE]`, an `error` in the data thrown as an APIError) but converts every event
 * of a network read synchronously and hands the parts on in one go: the SDK's per-event async
 * layers cost the relay more CPU than all of Sluice's own work per token.
 */
export async function* readOpenAiEventStream(response: Response): AsyncGenerator<StreamPart> {
  const converter = createOpenAiChunkConverter();
  const parts: StreamPart[] = [];
  let finished = false;
  let failure: unknown;
  const parser = createParser({
    onEvent(event) {
      if (finished || failure !== undefined) return;
      if (event.data === '[DONE]') {
        finished = true;
        return;
      }
      let data: { error?: unknown } & Record<string, unknown>;
      try {
        data = JSON.parse(event.data);
      } catch {
        failure = new SyntaxError('Error reading response: malformed server-sent event JSON.');
        return;
      }
      if (event.event === 'error' || data?.error) {
        failure = new APIError(undefined, (data?.error ?? data) as object, undefined, response.headers);
        return;
      }
      converter.add(data as unknown as Parameters<typeof converter.add>[0], parts);
    },
  });
  // A Node stream from Sluice's own fetch (providers/shared/fetch-over-undici-request.ts), or a web
  // stream from any other fetch: both are async iterables of bytes.
  const body = response.body as AsyncIterable<Uint8Array> | null;
  if (!body) throw new SyntaxError('Error reading response: no body');
  const chunks = body[Symbol.asyncIterator]();
  const decoder = new TextDecoder();
  try {
    while (!finished) {
      const read = await chunks.next();
      if (read.done) break;
      parser.feed(decoder.decode(read.value, { stream: true }));
      if (parts.length > 0) yield* parts.splice(0);
      if (failure !== undefined) throw failure;
    }
  } finally {
    // Leaving early (a cancel, an error) closes the connection; after [DONE] the rest is left to the
    // HTTP client, which keeps the connection for the next request.
    if (!finished) await chunks.return?.();
  }
  const finish = converter.finish();
  if (finish) yield finish;
}
