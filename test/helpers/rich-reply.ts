import type { FakeOpenAiScript } from '../fakes/fake-openai-server.ts';
import type { ServerEvent } from './ws-test-client.ts';

/** A reply with every kind of part (reasoning, text, a tool call in two fragments), for faithful-replay tests. */
export const richReply: FakeOpenAiScript = {
  deltas: [
    { reasoning: 'Think first.' },
    { content: 'Here is ' },
    { content: 'the answer.' },
    { toolCalls: [{ index: 0, id: 'call_1', name: 'lookup', arguments: '{"q":' }] },
    { toolCalls: [{ index: 0, arguments: '"x"}' }] },
  ],
  ending: { type: 'finish', finishReason: 'tool_calls' },
};

/** What a client saw of a reply, without ids: the parts, in order, and how it ended. */
export function replyOf(events: ServerEvent[]) {
  return {
    parts: events
      .filter((event) => event.type === 'delta')
      .map(({ id: _id, seq: _seq, type: _type, ...part }) => part),
    end: events.at(-1)?.finish_reason ?? events.at(-1)?.code,
  };
}
