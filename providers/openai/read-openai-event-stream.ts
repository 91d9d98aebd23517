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
  const body = response.body;
  if (!body) throw new SyntaxError('Error reading response: no body');
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    while (!finished) {
      const read = await reader.read();
      if (read.done) break;
      parser.feed(decoder.decode(read.value, { stream: true }));
      if (parts.length > 0) yield* parts.splice(0);
      if (failure !== undefined) throw failure;
    }
  } finally {
    // Leaving early (a cancel, an error) closes the connection; after [DONE] it just lets it go.
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  const finish = converter.finish();
  if (finish) yield finish;
}
