import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';
import { boundText } from '../log/bound-text.ts';
import { quoteClientValue } from '../log/quote-client-value.ts';
import type { ChatMessage, ChatRequest } from '../spec/chat-request.ts';
import { maxJsonDepth, parseBoundedJson } from './parse-bounded-json.ts';
import { readTopLevelString } from './read-top-level-string.ts';

const requestId = z.string().min(1).max(64);

/** Message content: a string, or OpenAI's array of text parts (joined into one string). */
const contentSchema = z
  .union([
    z.string(),
    z
      .array(z.object({ type: z.literal('text'), text: z.string() }))
      .transform((parts) => parts.map((part) => part.text).join('')),
    z.null().transform(() => ''),
  ])
  .default('');

const messageSchema = z.object({
  // OpenAI's newer `developer` role is its `system` by another name; every provider knows `system`.
  role: z
    .enum(['system', 'developer', 'user', 'assistant', 'tool'])
    .transform((role) => (role === 'developer' ? 'system' : role)),
  content: contentSchema,
  name: z.string().optional(),
  tool_call_id: z.string().optional(),
  tool_calls: z
    .array(
      z.object({
        id: z.string(),
        type: z.literal('function').default('function'),
        function: z.object({ name: z.string(), arguments: z.string() }),
      }),
    )
    .optional(),
});

const toolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** The fields of a chat request shared by the WebSocket `chat` frame and the HTTP body. */
export const chatFieldsSchema = z.object({
  /** May be empty when a `prompt` template names its own model. */
  model: z.string().default(''),
  /** May be empty when a `prompt` template supplies the messages. */
  messages: z.array(messageSchema).default([]),
  max_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  stop: z
    .union([z.string(), z.array(z.string()).max(4)])
    .transform((stop) => (typeof stop === 'string' ? [stop] : stop))
    .optional(),
  tools: z.array(toolSchema).optional(),
  cache: z.enum(['default', 'bypass', 'refresh']).optional(),
  prompt: z
    .strictObject({
      name: z.string().min(1).max(64),
      version: z.number().int().positive().optional(),
      vars: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

const clientFrameSchema = z.discriminatedUnion('type', [
  chatFieldsSchema.extend({ type: z.literal('chat'), id: requestId }),
  z.object({ type: z.literal('cancel'), id: requestId }),
  z.object({ type: z.literal('resume'), id: requestId, after_seq: z.number().int().min(0) }),
]);

/** A decoded frame from a client. */
export type ClientFrame =
  | { type: 'chat'; request: ChatRequest }
  | { type: 'cancel'; id: string }
  | { type: 'resume'; id: string; afterSeq: number };

/** A frame that could not be decoded, with the request id when the frame carried a usable one. */
export interface FrameError {
  error: GatewayError;
  id?: string;
}

function toMessage(message: z.infer<typeof messageSchema>): ChatMessage {
  const converted: ChatMessage = { role: message.role, content: message.content };
  if (message.name !== undefined) converted.name = message.name;
  if (message.tool_call_id !== undefined) converted.toolCallId = message.tool_call_id;
  if (message.tool_calls !== undefined) converted.toolCalls = message.tool_calls;
  return converted;
}

/** Converts validated wire fields (snake_case) into the pipeline's ChatRequest. */
export function toChatRequest(id: string, fields: z.infer<typeof chatFieldsSchema>): ChatRequest {
  const request: ChatRequest = { id, model: fields.model, messages: fields.messages.map(toMessage) };
  if (fields.max_tokens !== undefined) request.maxTokens = fields.max_tokens;
  if (fields.temperature !== undefined) request.temperature = fields.temperature;
  if (fields.top_p !== undefined) request.topP = fields.top_p;
  if (fields.stop !== undefined) request.stop = fields.stop;
  if (fields.tools !== undefined) request.tools = fields.tools;
  if (fields.cache !== undefined) request.cache = fields.cache;
  if (fields.metadata !== undefined) request.metadata = fields.metadata;
  if (fields.prompt !== undefined) request.prompt = fields.prompt as ChatRequest['prompt'];
  return request;
}

/** Without a prompt template, a request must name its model and bring messages: the problem, if any. */
export function missingChatFields(fields: z.infer<typeof chatFieldsSchema>): string | undefined {
  if (fields.prompt) return undefined;
  const missing = [
    fields.model === '' && 'model: required',
    fields.messages.length === 0 && 'messages: required',
  ];
  const problems = missing.filter(Boolean);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** Describes validation issues as `path: problem` for people. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.map(String).join('.') || 'frame';
      const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
      return boundText(`${path}: ${missing ? 'required' : issue.message}`);
    })
    .join('; ');
}

function badRequest(message: string, id?: string): FrameError {
  const error = new GatewayError('bad_request', message);
  return id === undefined ? { error } : { error, id };
}

/** Decodes one text frame, or says precisely what is wrong with it. */
export function parseClientFrame(text: string): ClientFrame | FrameError {
  const parsed = parseBoundedJson(text);
  if (!parsed.ok) {
    if (parsed.problem === 'syntax') return badRequest('frame is not valid JSON');
    const candidateId = readTopLevelString(text, 'id');
    const id = requestId.safeParse(candidateId).success ? candidateId : undefined;
    return badRequest(`frame nests deeper than ${maxJsonDepth} levels`, id);
  }
  const value = parsed.value;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return badRequest('frame must be a JSON object');
  }
  const candidateId = (value as { id?: unknown }).id;
  const id = requestId.safeParse(candidateId).success ? (candidateId as string) : undefined;
  const type = (value as { type?: unknown }).type;
  if (type !== 'chat' && type !== 'cancel' && type !== 'resume') {
    return badRequest(
      type === undefined ? 'frame has no "type"' : `unknown frame type ${quoteClientValue(type)}`,
      id,
    );
  }
  const result = clientFrameSchema.safeParse(value);
  if (!result.success) return badRequest(describeIssues(result.error.issues), id);
  const frame = result.data;
  if (frame.type === 'chat') {
    const missing = missingChatFields(frame);
    if (missing) return badRequest(missing, frame.id);
    return { type: 'chat', request: toChatRequest(frame.id, frame) };
  }
  if (frame.type === 'cancel') return { type: 'cancel', id: frame.id };
  return { type: 'resume', id: frame.id, afterSeq: frame.after_seq };
}
