import { APIError } from '@anthropic-ai/sdk';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { StreamPart } from '../../src/spec/stream-part.ts';
import { readEventStreamBody } from '../shared/read-event-stream-body.ts';
import { createAnthropicEventConverter } from './anthropic-events-to-parts.ts';
import { classifyAnthropicError } from './classify-anthropic-error.ts';

/**
 * Reads a streaming Messages response body into parts at the cost of one promise per network read
 * (see readEventStreamBody). It reads the events as the SDK's own stream does: `ping` and unnamed
 * events are skipped, so is an event without data, and an `error` event fails the stream as the
 * SDK's APIError would (classified, the key kept out). `message_stop` ends the stream at once; the
 * rest of the body is left to drain, so the HTTP client keeps the connection for the next request,
 * and a connection dropped after it no longer matters.
 */
export function readAnthropicEventStream(
  response: Response,
  apiKey: string,
): AsyncIterableIterator<StreamPart> {
  const converter = createAnthropicEventConverter();
  return readEventStreamBody<StreamPart>(
    response,
    {
      event(event, parts) {
        if (event.event === undefined || event.event === 'ping') return false;
        if (event.event === 'error') {
          // The error's type comes from the body, as in the SDK.
          const error = new APIError(
            undefined,
            parseJson(event.data) ?? event.data,
            undefined,
            response.headers,
          );
          throw classifyAnthropicError(error, apiKey);
        }
        if (!event.data) return false;
        let data: RawMessageStreamEvent;
        try {
          data = JSON.parse(event.data);
        } catch (error) {
          throw classifyAnthropicError(error, apiKey);
        }
        return converter.add(data, parts);
      },
      // message_stop queued the finish; a body that ends without it has none.
      end() {},
    },
    { drainAfterEnd: true },
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
