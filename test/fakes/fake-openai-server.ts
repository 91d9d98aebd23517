import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  type FakeHttpServer,
  type RecordedRequest,
  type SseWriteOptions,
  startFakeHttpServer,
  startSseResponse,
  writeSseEvent,
} from './fake-http-server.ts';

/** OpenAI's error object, as it sends it in an error response body and mid-stream. */
export interface OpenAiErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** A fragment of one tool call; the first fragment of a call carries its `id` and `name`. */
export interface FakeToolCallFragment {
  index: number;
  id?: string;
  name?: string;
  arguments: string;
}

/** One piece of scripted output; each becomes one chunk on the wire. */
export type FakeOpenAiDelta =
  | { content: string }
  /** Thinking text, in the field of the server being imitated (DeepSeek/vLLM or OpenRouter/Ollama). */
  | { reasoning: string; field?: 'reasoning_content' | 'reasoning' }
  | { toolCalls: FakeToolCallFragment[] };

/** How the reply ends once its deltas are out (without `stream`: an error event is a 500, a cut a dead socket). */
export type FakeOpenAiEnding =
  /** A `finish_reason` chunk, the usage chunk when it was asked for, then `[DONE]`. */
  | { type: 'finish'; finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter' }
  /** `data: {"error": {...}}`, as OpenAI reports a failure after the stream began, then the end. */
  | { type: 'error-event'; error: OpenAiErrorObject }
  /** The connection is closed with the response unfinished: no finish, no `[DONE]`. */
  | { type: 'drop-connection' }
  /** The response ends cleanly but early: no finish, no `[DONE]`. */
  | { type: 'end-response' }
  /** Nothing more is sent until the client goes away. */
  | { type: 'stall' };

/** What the fake answers to one request. */
export interface FakeOpenAiScript {
  deltas?: FakeOpenAiDelta[];
  /** Defaults to a `finish` with `stop`, or `tool_calls` when the deltas hold tool calls. */
  ending?: FakeOpenAiEnding;
  /** Defaults to 12 prompt tokens and one completion token per delta. */
  usage?: { promptTokens: number; completionTokens: number; reasoningTokens?: number };
  /** Answer with this HTTP error instead of a completion. */
  httpError?: { status: number; error: OpenAiErrorObject; retryAfter?: string };
  /** Send no response headers at all, until the client goes away. */
  stallBeforeHeaders?: boolean;
  /** Answer only once this settles (a test's gate, to hold a request in flight). */
  holdUntil?: Promise<void>;
  /** How the SSE bytes are cut and terminated on the wire. */
  wire?: SseWriteOptions;
  /** The model name the chunks report; defaults to the requested model. */
  model?: string;
}

/** A fake OpenAI API: `POST /v1/chat/completions`, streaming and not, as the real one answers. */
export interface FakeOpenAiServer extends FakeHttpServer {
  /** The API root to give a client as its base URL (ends in `/v1`). */
  baseUrl: string;
  /** The requests made to `/v1/chat/completions`, bodies parsed. */
  chatRequests(): RecordedRequest[];
  /**
   * Whether the connection that carried the `index`-th chat request is still open. Unlike
   * `openConnections()`, it ignores the idle spare connection Node's fetch opens after an abort.
   */
  chatConnectionIsOpen(index: number): boolean;
  /** Resolves with the next chat request once the fake has read it, before it answers. */
  nextChatRequest(): Promise<RecordedRequest>;
}

/** The scripted reply, fixed or chosen per request. */
export type FakeOpenAiScriptSource = FakeOpenAiScript | ((request: RecordedRequest) => FakeOpenAiScript);

interface ChatBody {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
}

const systemFingerprint = 'fp_b376dfbbd5';

function completionId(sequence: number): string {
  return `chatcmpl-Bfake${String(sequence).padStart(24, '0')}`;
}

function usageObject(script: FakeOpenAiScript) {
  const promptTokens = script.usage?.promptTokens ?? 12;
  const completionTokens = script.usage?.completionTokens ?? script.deltas?.length ?? 0;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: script.usage?.reasoningTokens ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function defaultFinishReason(script: FakeOpenAiScript): string {
  return script.deltas?.some((delta) => 'toolCalls' in delta) ? 'tool_calls' : 'stop';
}

function toolCallDelta(fragment: FakeToolCallFragment) {
  // Only a call's first fragment names it; the rest carry nothing but more arguments.
  if (fragment.id === undefined) {
    return { index: fragment.index, function: { arguments: fragment.arguments } };
  }
  return {
    index: fragment.index,
    id: fragment.id,
    type: 'function',
    function: { name: fragment.name, arguments: fragment.arguments },
  };
}

/** The `delta` object of one scripted piece, as the real servers shape it. */
function wireDelta(delta: FakeOpenAiDelta): Record<string, unknown> {
  if ('content' in delta) return { content: delta.content };
  if ('reasoning' in delta) return { content: null, [delta.field ?? 'reasoning_content']: delta.reasoning };
  return { tool_calls: delta.toolCalls.map(toolCallDelta) };
}

/** Writes the status, OpenAI's error body and its headers. */
function writeHttpError(
  response: ServerResponse,
  httpError: NonNullable<FakeOpenAiScript['httpError']>,
): void {
  response.writeHead(httpError.status, {
    'content-type': 'application/json; charset=utf-8',
    'x-request-id': 'req_fake_error',
    ...(httpError.retryAfter === undefined ? {} : { 'retry-after': httpError.retryAfter }),
  });
  response.end(JSON.stringify({ error: httpError.error }, null, 2));
}

async function untilClientLeaves(response: ServerResponse): Promise<void> {
  if (!response.socket || response.socket.destroyed) return;
  await once(response, 'close');
}

async function writeStream(
  response: ServerResponse,
  script: FakeOpenAiScript,
  body: ChatBody,
  sequence: number,
): Promise<void> {
  const includeUsage = body.stream_options?.include_usage === true;
  const envelope = {
    id: completionId(sequence),
    object: 'chat.completion.chunk',
    created: 1_750_000_000 + sequence,
    model: script.model ?? body.model ?? 'gpt-4o-mini-2024-07-18',
    service_tier: 'default',
    system_fingerprint: systemFingerprint,
  };
  // With `include_usage`, OpenAI puts `"usage": null` on every chunk but the last.
  const chunk = (choices: unknown[], usage: unknown = null) => ({
    ...envelope,
    choices,
    ...(includeUsage ? { usage } : {}),
    obfuscation: 'x8Zq',
  });
  const choice = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  const send = (data: unknown) => writeSseEvent(response, JSON.stringify(data), script.wire);

  startSseResponse(response, {
    'content-type': 'text/event-stream; charset=utf-8',
    'x-request-id': `req_fake_${sequence}`,
    'openai-processing-ms': '112',
  });
  const [first, ...rest] = script.deltas ?? [];
  // OpenAI opens with the role; a tool-calling reply carries its first tool call in that same chunk.
  if (first && 'toolCalls' in first) {
    await send(chunk([choice({ role: 'assistant', content: null, ...wireDelta(first), refusal: null })]));
  } else {
    await send(chunk([choice({ role: 'assistant', content: '', refusal: null })]));
    if (first) await send(chunk([choice(wireDelta(first))]));
  }
  for (const delta of rest) await send(chunk([choice(wireDelta(delta))]));

  const ending = script.ending ?? { type: 'finish' };
  switch (ending.type) {
    case 'finish':
      await send(chunk([choice({}, ending.finishReason ?? defaultFinishReason(script))]));
      if (includeUsage) await send(chunk([], usageObject(script)));
      await writeSseEvent(response, '[DONE]', script.wire);
      response.end();
      return;
    case 'error-event':
      await send({ error: ending.error });
      response.end();
      return;
    case 'drop-connection':
      // Lets the bytes already written reach the client, then closes the socket mid-body.
      response.socket?.destroySoon();
      return;
    case 'end-response':
      response.end();
      return;
    case 'stall':
      await untilClientLeaves(response);
      return;
  }
}

/** The assembled `chat.completion` object OpenAI answers with when `stream` is false. */
function completionObject(script: FakeOpenAiScript, body: ChatBody, sequence: number) {
  const deltas = script.deltas ?? [];
  let content = '';
  let reasoning = '';
  const toolCalls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> =
    [];
  for (const delta of deltas) {
    if ('content' in delta) content += delta.content;
    else if ('reasoning' in delta) reasoning += delta.reasoning;
    else {
      for (const fragment of delta.toolCalls) {
        const call = toolCalls[fragment.index] ?? {
          id: fragment.id ?? '',
          type: 'function',
          function: { name: fragment.name ?? '', arguments: '' },
        };
        call.function.arguments += fragment.arguments;
        toolCalls[fragment.index] = call;
      }
    }
  }
  const ending = script.ending;
  return {
    id: completionId(sequence),
    object: 'chat.completion',
    created: 1_750_000_000 + sequence,
    model: script.model ?? body.model ?? 'gpt-4o-mini-2024-07-18',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: toolCalls.length > 0 && content === '' ? null : content,
          ...(reasoning ? { reasoning_content: reasoning } : {}),
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          refusal: null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: (ending?.type === 'finish' && ending.finishReason) || defaultFinishReason(script),
      },
    ],
    usage: usageObject(script),
    service_tier: 'default',
    system_fingerprint: systemFingerprint,
  };
}

async function writeCompletion(
  response: ServerResponse,
  script: FakeOpenAiScript,
  body: ChatBody,
  sequence: number,
): Promise<void> {
  const ending = script.ending ?? { type: 'finish' };
  if (ending.type === 'stall') return untilClientLeaves(response);
  if (ending.type === 'drop-connection' || ending.type === 'end-response') {
    response.socket?.destroy();
    return;
  }
  if (ending.type === 'error-event') {
    writeHttpError(response, { status: 500, error: ending.error });
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_fake_${sequence}` });
  response.end(JSON.stringify(completionObject(script, body, sequence), null, 2));
}

/**
 * Starts a fake OpenAI API on a loopback port. Each request to `POST /v1/chat/completions` is answered
 * from `script` (fixed, or a function of the request); any other route gets OpenAI's 404 body.
 */
export async function startFakeOpenAiServer(options: {
  script: FakeOpenAiScriptSource;
}): Promise<FakeOpenAiServer> {
  let sequence = 0;
  const chatSockets: Array<Socket | null> = [];
  const chatRequestWaiters: Array<(request: RecordedRequest) => void> = [];
  const server = await startFakeHttpServer(async (request, response) => {
    if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
      writeHttpError(response, {
        status: 404,
        error: {
          message: `Invalid URL (${request.method} ${request.url})`,
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
      return;
    }
    sequence++;
    chatSockets.push(response.socket);
    for (const wake of chatRequestWaiters.splice(0)) wake(request);
    const script = typeof options.script === 'function' ? options.script(request) : options.script;
    const body = (request.json ?? {}) as ChatBody;
    if (script.stallBeforeHeaders) return untilClientLeaves(response);
    if (script.holdUntil) await script.holdUntil;
    if (script.httpError) return writeHttpError(response, script.httpError);
    if (body.stream === true) return writeStream(response, script, body, sequence);
    return writeCompletion(response, script, body, sequence);
  });
  return {
    ...server,
    baseUrl: `${server.url}/v1`,
    chatRequests: () => server.requests.filter((request) => request.url === '/v1/chat/completions'),
    chatConnectionIsOpen: (index) => chatSockets[index]?.destroyed === false,
    nextChatRequest: () => new Promise((resolve) => chatRequestWaiters.push(resolve)),
  };
}
