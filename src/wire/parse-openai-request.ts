import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';
import { boundText } from '../log/bound-text.ts';
import { quoteClientValue } from '../log/quote-client-value.ts';
import type { ChatRequest } from '../spec/chat-request.ts';
import { chatFieldsSchema, missingChatFields, toChatRequest } from './parse-client-frame.ts';

/** The Chat Completions body fields Sluice reads; any other field is ignored, as SDKs send many. */
const openAiBodySchema = chatFieldsSchema.extend({
  /** OpenAI's newer name for `max_tokens`; it wins when both are sent. */
  max_completion_tokens: z.number().int().positive().optional(),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).optional(),
  n: z.number().int().positive().optional(),
  tool_choice: z.unknown().optional(),
  /** OpenAI's end-user id; accepted, but the caller's identity comes from its credential. */
  user: z.string().optional(),
});

/** A decoded `POST /v1/chat/completions` call. */
export interface OpenAiChatCall {
  request: ChatRequest;
  /** Answer as Server-Sent Events rather than one JSON object. */
  stream: boolean;
  /** Send the usage chunk before `[DONE]` (`stream_options.include_usage`). */
  includeUsage: boolean;
}

/** A body that could not be used, and the field at fault (OpenAI's `param`) when one is. */
export interface OpenAiRequestError {
  error: GatewayError;
  param: string | null;
}

/** A field path as OpenAI names it in `param`: `messages[0].content`. */
function paramOf(path: readonly PropertyKey[]): string | null {
  let param = '';
  for (const key of path) {
    if (typeof key === 'number') param += `[${key}]`;
    else param += param === '' ? String(key) : `.${String(key)}`;
  }
  return param === '' ? null : param;
}

function invalid(message: string, param: string | null): OpenAiRequestError {
  return { error: new GatewayError('bad_request', message), param };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  return boundText(`${paramOf(issue.path) ?? 'body'}: ${missing ? 'required' : issue.message}`);
}

/** Only `auto` (the default) can be honoured, and `none` when there are no tools to call anyway. */
function isSupportedToolChoice(toolChoice: unknown, hasTools: boolean): boolean {
  return toolChoice === undefined || toolChoice === 'auto' || (toolChoice === 'none' && !hasTools);
}

/**
 * Decodes an OpenAI Chat Completions body into the pipeline's ChatRequest (named `id`), or says which
 * field is wrong. A top-level `null` counts as absent, as OpenAI reads it.
 */
export function parseOpenAiRequest(body: unknown, id: string): OpenAiChatCall | OpenAiRequestError {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return invalid('the request body must be a JSON object', null);
  }
  const present = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null));
  const result = openAiBodySchema.safeParse(present);
  if (!result.success) {
    const issues = result.error.issues;
    return invalid(issues.slice(0, 5).map(describeIssue).join('; '), paramOf(issues[0]?.path ?? []));
  }
  const fields = result.data;
  if (fields.n !== undefined && fields.n !== 1) {
    return invalid('n: only 1 choice per request is supported', 'n');
  }
  if (!isSupportedToolChoice(fields.tool_choice, (fields.tools?.length ?? 0) > 0)) {
    return invalid(
      `tool_choice: ${quoteClientValue(fields.tool_choice)} is not supported; omit it or send "auto"`,
      'tool_choice',
    );
  }
  const missing = missingChatFields(fields);
  if (missing) return invalid(missing, missing.startsWith('model') ? 'model' : 'messages');
  const maxTokens = fields.max_completion_tokens ?? fields.max_tokens;
  return {
    request: toChatRequest(id, { ...fields, max_tokens: maxTokens }),
    stream: fields.stream === true,
    includeUsage: fields.stream === true && fields.stream_options?.include_usage === true,
  };
}
