/**
 * The public hook interface: what a custom hook module implements. A hook module's default export is
 * a factory that receives the entry's `options` from the config and returns a {@link Hook}:
 *
 * ```ts
 * // hooks/support-desk.ts; config: `hooks: [{ use: ./hooks/support-desk.ts, options: { team: billing } }]`
 * import type { HookFactory } from '../src/hooks/hook-types.ts'; // the path to Sluice's src/
 *
 * const createSupportDesk: HookFactory = (options) => ({
 *   name: 'support-desk',
 *   pre({ request }) {
 *     if (request.messages.length > 50) return { reject: { code: 'too_large', message: 'at most 50 messages' } };
 *     const note = { role: 'system' as const, content: `You answer for the ${String(options.team)} team.` };
 *     return { messages: [note, ...request.messages], temperature: 0.2 };
 *   },
 *   stream: () => ({
 *     push: (part) => [part],
 *     flush: () => [{ type: 'text-delta', text: '\n(answered by the support desk)' }],
 *   }),
 *   async done({ log }, summary) {
 *     log.info({ user: summary.user, output_tokens: summary.outputTokens }, 'support answer');
 *   },
 * });
 * export default createSupportDesk;
 * ```
 */
import type { Logger } from 'pino';
import type { Identity } from '../auth/identity.ts';
import type { ErrorCode } from '../errors/gateway-error.ts';
import type { ChatMessage, ChatRequest } from '../spec/chat-request.ts';
import type { RequestSummary } from '../spec/request-observer.ts';
import type { OutputPart } from '../spec/stream-part.ts';

/** The stages of a request's life that hooks can join, in the order they run (as fastify names its lifecycle). */
export const hookStages = ['pre', 'stream', 'done'] as const;

/** One stage of {@link hookStages}. */
export type HookStage = (typeof hookStages)[number];

/** What a hook sees of a request. Treat it as read-only: a `pre` hook changes the request by returning changes. */
export interface HookContext {
  /** Sluice's id for the request, as in its log lines. */
  readonly requestId: string;
  /** The user and plan making the request. */
  readonly identity: Identity;
  /** The resolved request; `stream` and `done` hooks see it as the `pre` hooks left it. */
  readonly request: ChatRequest;
  /** A child of the request's logger that names the hook. */
  readonly log: Logger;
  /** Aborts when the request ends early or the hook's `timeout_ms` is up; pass it to any I/O the hook does. */
  readonly signal: AbortSignal;
}

/** Changes a `pre` hook makes to the request; fields left out stay as they are. */
export interface PreHookChanges {
  messages?: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  metadata?: Record<string, unknown>;
}

/** A `pre` hook's refusal of the request: the client gets an `error` with this code and message. */
export interface PreHookRejection {
  reject: {
    /** One of the protocol's error codes; `bad_request` when absent. */
    code?: ErrorCode;
    /** Shown to the client: say what is wrong, not more than needed. */
    message: string;
  };
}

/** What a `pre` hook returns: nothing (no change), changes, or a rejection. */
export type PreHookResult = PreHookChanges | PreHookRejection | undefined;

/**
 * A synchronous transformation of one request's output, part by part (it runs per token, so it returns
 * arrays, never promises). `push` returns the parts to pass on now (none, to hold text back); `flush`
 * runs once when the upstream finished and returns whatever is still held.
 */
export interface StreamTransform {
  push(part: OutputPart): OutputPart[];
  flush(): OutputPart[];
}

/** A hook: any of the three stages; a stage it leaves out costs nothing. */
export interface Hook {
  /** Names the hook in log lines and errors; the config entry's `name` wins over it. */
  name?: string;
  /** Runs before the request goes upstream (after its prompt template was applied); may change or reject it. */
  pre?(context: HookContext): PreHookResult | Promise<PreHookResult>;
  /** Called once per request to make that request's transform; may return `undefined` to stay out of it. */
  stream?(context: HookContext): StreamTransform | undefined;
  /** Runs after the client got its `done` or `error`; for audit and analytics. Its errors are only logged. */
  done?(context: HookContext, summary: RequestSummary): void | Promise<void>;
}

/** A hook module's default export: makes the hook from its config entry's `options` (at start-up and reload). */
export type HookFactory = (options: Record<string, unknown>) => Hook | Promise<Hook>;
