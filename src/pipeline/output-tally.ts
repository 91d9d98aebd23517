import type { ChatMessage } from '../spec/chat-request.ts';
import type { ReportedUsage } from '../spec/gateway-event.ts';
import type { OutputPart } from '../spec/stream-part.ts';
import type { Usage } from '../spec/usage.ts';
import { countMessageTokens, countTextTokens } from '../usage/count-tokens.ts';

/**
 * Keeps what a request has streamed so far, so that usage can be counted when the provider never
 * reported it (a cancel, a cut stream, a provider that sends no usage). Counting happens only then:
 * the hot path just keeps references to the streamed strings.
 */
export function createOutputTally(messages: () => readonly ChatMessage[]) {
  const pieces: string[] = [];
  let outputParts = 0;
  return {
    add(part: OutputPart): void {
      outputParts++;
      pieces.push(part.type === 'tool-call-delta' ? (part.name ?? '') + part.argumentsDelta : part.text);
    },
    /** Whether anything has been streamed to the client. */
    hasOutput: () => outputParts > 0,
    /** The provider's usage where it reported it, Sluice's own count elsewhere. */
    usage(reported: Usage | undefined): ReportedUsage {
      const inputTokens = reported?.inputTokens ?? countMessageTokens(messages());
      const outputTokens = reported?.outputTokens ?? countTextTokens(pieces.join(''));
      const estimated = reported?.inputTokens === undefined || reported?.outputTokens === undefined;
      return { inputTokens, outputTokens, estimated };
    },
  };
}
