import type { ChatRequest } from '../spec/chat-request.ts';
import { admitRequest } from './admit-request.ts';
import { closeRequest, type Ending, endRequest } from './end-request.ts';
import { openSource } from './open-source.ts';
import type { PartSource } from './part-source.ts';
import { relayParts } from './relay-parts.ts';
import {
  type ChatContext,
  createRequestRecord,
  type EventSink,
  type PipelineSteps,
} from './request-record.ts';

/**
 * Runs one chat request through the pipeline's stages (admit, source, relay, end) and hands its
 * events to `emit`: `start`, output parts, and exactly one `done` or `error`, which only the end
 * stage produces; resolves once the request has ended. Every admitted request is settled in the
 * usage store exactly once (also when the sink throws: the request then ends as abandoned and the
 * promise rejects with the sink's error), and its end is logged in one line.
 */
export async function runChat(
  request: ChatRequest,
  context: ChatContext,
  steps: PipelineSteps,
  emit: EventSink,
): Promise<void> {
  const record = createRequestRecord(request, context, steps);
  try {
    let source: PartSource | undefined;
    let ending: Ending | undefined;
    try {
      await admitRequest(record);
      source = await openSource(record);
    } catch (error) {
      ending = { type: 'refused', error };
    }
    if (source) {
      try {
        ending = await relayParts(record, source, emit);
      } finally {
        source.dispose();
      }
    }
    await endRequest(record, ending!, emit);
  } finally {
    await closeRequest(record);
  }
}
