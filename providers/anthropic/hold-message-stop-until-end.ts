import type { RawMessageStopEvent, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';

/**
 * Passes Anthropic's events on, but holds `message_stop` back until the response body has been read
 * to its end. Whoever reads the stream lets go at the finish that `message_stop` becomes, and letting
 * go of an unfinished body tears down the connection instead of returning it to the pool.
 */
export async function* holdMessageStopUntilEnd(
  events: AsyncIterable<RawMessageStreamEvent>,
): AsyncGenerator<RawMessageStreamEvent> {
  let stop: RawMessageStopEvent | undefined;
  try {
    for await (const event of events) {
      if (event.type === 'message_stop') stop = event;
      else if (!stop) yield event;
    }
  } catch (error) {
    // After message_stop the reply is whole; only the end of the body went missing.
    if (!stop) throw error;
  }
  if (stop) yield stop;
}
