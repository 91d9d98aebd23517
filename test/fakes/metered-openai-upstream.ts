import type { ChatMessage } from '../../src/spec/chat-request.ts';
import { countMessageTokens } from '../../src/usage/count-tokens.ts';
import { type FakeOpenAiServer, startFakeOpenAiServer } from './fake-openai-server.ts';

/** One upstream call as the fake billed it. */
export interface BilledCall {
  promptTokens: number;
  completionTokens: number;
  maxTokens: number | undefined;
}

export interface MeteredUpstream extends FakeOpenAiServer {
  /** Every call the fake answered, with the usage it reported (what a real provider would bill). */
  billed: BilledCall[];
}

/**
 * A fake OpenAI-compatible upstream that bills like OpenAI: it counts the prompt with the o200k
 * chat formula, streams `replyTokens` one-token words (stopping at `max_tokens` unless told to
 * ignore it, as a misbehaving server would) and reports that usage.
 */
export async function startMeteredUpstream(options: {
  replyTokens: number;
  ignoreMaxTokens?: boolean;
}): Promise<MeteredUpstream> {
  const billed: BilledCall[] = [];
  const server = await startFakeOpenAiServer({
    script: (request) => {
      const body = request.json as { messages: ChatMessage[]; max_tokens?: number };
      const limit = options.ignoreMaxTokens
        ? Number.POSITIVE_INFINITY
        : (body.max_tokens ?? Number.POSITIVE_INFINITY);
      const count = Math.min(options.replyTokens, limit);
      const call = {
        promptTokens: countMessageTokens(body.messages),
        completionTokens: count,
        maxTokens: body.max_tokens,
      };
      billed.push(call);
      return {
        deltas: Array.from({ length: count }, () => ({ content: ' word' })),
        ending: { type: 'finish', finishReason: count < options.replyTokens ? 'length' : 'stop' },
        usage: { promptTokens: call.promptTokens, completionTokens: call.completionTokens },
      };
    },
  });
  return { ...server, billed };
}
