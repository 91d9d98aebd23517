import type { GatewayError } from '../errors/gateway-error.ts';
import type { ReportedUsage } from '../spec/gateway-event.ts';
import type { FinishReason, OutputPart } from '../spec/stream-part.ts';

/** What every chunk of one completion (and the assembled completion) carries. */
export interface OpenAiCompletionEnvelope {
  /** `chatcmpl-...` */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model name the client asked for (a Sluice route), not the upstream's. */
  model: string;
}

/** The finish reasons OpenAI's SDKs know. */
export type OpenAiFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/** `choices[0].delta` of a `chat.completion.chunk`. */
type OpenAiDelta = Record<string, unknown>;

/** A tool call of an assembled `chat.completion` message. */
interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * Maps the protocol's finish reason to OpenAI's. `quota` becomes `length`: the output was cut at a
 * token limit (the user's remaining allowance), which is what `length` tells a client. `cancelled`
 * becomes `stop`: the HTTP door only cancels once its client has gone, so no client ever reads it.
 */
export function toOpenAiFinishReason(reason: FinishReason): OpenAiFinishReason {
  switch (reason) {
    case 'quota':
      return 'length';
    case 'cancelled':
      return 'stop';
    default:
      return reason;
  }
}

/** OpenAI's `usage` object. */
export function encodeOpenAiUsage(usage: ReportedUsage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/** OpenAI's error body (`{error: {message, type, param, code}}`), in a response or as an SSE event. */
export function encodeOpenAiError(error: GatewayError, param: string | null = null) {
  return { error: { message: error.message, type: error.code, param, code: error.code } };
}

/** One Server-Sent Event carrying a JSON value. */
export function encodeSseData(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/** The event that ends an OpenAI stream. */
export const sseDoneEvent = 'data: [DONE]\n\n';

function toolCallDelta(part: Extract<OutputPart, { type: 'tool-call-delta' }>): Record<string, unknown> {
  // As OpenAI sends them: only a call's first fragment carries its id, type and name.
  const fragment: Record<string, unknown> = { index: part.index };
  if (part.id !== undefined) {
    fragment.id = part.id;
    fragment.type = 'function';
  }
  fragment.function =
    part.name === undefined
      ? { arguments: part.argumentsDelta }
      : { name: part.name, arguments: part.argumentsDelta };
  return fragment;
}

function deltaOf(part: OutputPart): OpenAiDelta {
  switch (part.type) {
    case 'text-delta':
      return { content: part.text };
    case 'reasoning-delta':
      // The field vLLM, DeepSeek and SGLang use; OpenAI itself streams no reasoning text.
      return { reasoning_content: part.text };
    case 'tool-call-delta':
      return { tool_calls: [toolCallDelta(part)] };
  }
}

/**
 * Encodes one streamed completion as `chat.completion.chunk` objects. With `includeUsage` (the
 * client's `stream_options.include_usage`), every chunk carries `usage: null` and the usage chunk
 * (`choices: []`) follows the finish, as OpenAI does.
 */
export function createOpenAiChunkEncoder(envelope: OpenAiCompletionEnvelope, includeUsage: boolean) {
  const chunk = (choices: unknown[]) => ({
    id: envelope.id,
    object: 'chat.completion.chunk',
    created: envelope.created,
    model: envelope.model,
    system_fingerprint: null,
    choices,
    ...(includeUsage ? { usage: null } : {}),
  });
  const choice = (delta: OpenAiDelta, finishReason: OpenAiFinishReason | null = null) =>
    chunk([{ index: 0, delta, logprobs: null, finish_reason: finishReason }]);
  return {
    /** The opening chunk, naming the role. */
    role: () => choice({ role: 'assistant', content: '', refusal: null }),
    /** One piece of output. */
    output: (part: OutputPart) => choice(deltaOf(part)),
    /** The chunk with the `finish_reason` and an empty delta. */
    finish: (reason: FinishReason) => choice({}, toOpenAiFinishReason(reason)),
    /** The usage chunk; send it only when `includeUsage`. */
    usage: (usage: ReportedUsage) => ({ ...chunk([]), usage: encodeOpenAiUsage(usage) }),
  };
}

/** Collects a completion's output into the `chat.completion` object a non-streaming call answers with. */
export function createOpenAiCompletionAssembler(envelope: OpenAiCompletionEnvelope) {
  let content = '';
  let reasoning = '';
  // By index, in order of appearance: indices need not start at 0 or be contiguous.
  const toolCalls = new Map<number, OpenAiToolCall>();
  return {
    add(part: OutputPart): void {
      if (part.type === 'text-delta') content += part.text;
      else if (part.type === 'reasoning-delta') reasoning += part.text;
      else {
        const call = toolCalls.get(part.index) ?? {
          id: '',
          type: 'function',
          function: { name: '', arguments: '' },
        };
        if (part.id !== undefined) call.id = part.id;
        if (part.name !== undefined) call.function.name = part.name;
        call.function.arguments += part.argumentsDelta;
        toolCalls.set(part.index, call);
      }
    },
    /** The whole completion; `content` is null when the reply is only tool calls, as OpenAI answers. */
    complete(reason: FinishReason, usage: ReportedUsage) {
      const calls = [...toolCalls.values()];
      const message = {
        role: 'assistant',
        content: calls.length > 0 && content === '' ? null : content,
        ...(reasoning === '' ? {} : { reasoning_content: reasoning }),
        ...(calls.length > 0 ? { tool_calls: calls } : {}),
        refusal: null,
        annotations: [],
      };
      return {
        id: envelope.id,
        object: 'chat.completion',
        created: envelope.created,
        model: envelope.model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: toOpenAiFinishReason(reason) }],
        usage: encodeOpenAiUsage(usage),
        system_fingerprint: null,
      };
    },
  };
}
