import type { EventSourceMessage } from 'eventsource-parser';
import { APIError } from 'openai';
import type { StreamPart } from '../../src/spec/stream-part.ts';
import { readEventStreamBody } from '../shared/read-event-stream-body.ts';
import { createOpenAiChunkConverter } from './openai-chunks-to-parts.ts';

type Chunk = Parameters<ReturnType<typeof createOpenAiChunkConverter>['add']>[0];

/**
 * Reads a streaming Chat Completions response body into parts. It does what the SDK's own stream
 * does (events up to `[DONE]`, an `error` in the data thrown as an APIError) at the cost of one
 * promise per network read (see readEventStreamBody). After `[DONE]` the rest of the body is left to
 * drain, so the HTTP client keeps the connection for the next request.
 */
export function readOpenAiEventStream(response: Response): AsyncIterableIterator<StreamPart> {
  const converter = createOpenAiChunkConverter();
  return readEventStreamBody<StreamPart>(
    response,
    {
      event(event: EventSourceMessage, parts: StreamPart[]): boolean {
        if (event.data === '[DONE]') return true;
        let data: { error?: unknown } & Record<string, unknown>;
        try {
          data = JSON.parse(event.data);
        } catch {
          throw new SyntaxError('Error reading response: malformed server-sent event JSON.');
        }
        if (event.event === 'error' || data?.error) {
          const error = (data?.error ?? data) as object;
          throw new APIError(undefined, error, undefined, response.headers);
        }
        converter.add(data as unknown as Chunk, parts);
        return false;
      },
      // The held `finish` part, if a finish reason came, is the last one.
      end(parts: StreamPart[]): void {
        const finish = converter.finish();
        if (finish) parts.push(finish);
      },
    },
    { drainAfterEnd: true },
  );
}
