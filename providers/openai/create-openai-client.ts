import OpenAI from 'openai';
import { createFetchOverUndiciDispatcher } from '../shared/fetch-over-undici-dispatcher.ts';

/** What both OpenAI kinds configure on the SDK client. */
export interface OpenAiClientSettings {
  /** Absent for servers that need no key: then no `Authorization` header is sent at all. */
  apiKey: string | undefined;
  /** Absent means the SDK's own default, `https://api.openai.com/v1`. */
  baseUrl: string | undefined;
  organization?: string | undefined;
  timeoutMs: number;
  /** Extra headers sent with every request. */
  headers?: Record<string, string> | undefined;
}

/** Creates the official SDK client configured from Sluice's config alone. */
export function createOpenAiClient(settings: OpenAiClientSettings): OpenAI {
  return new OpenAI({
    // The SDK refuses to start without a key; with `Authorization: null` below this one is never sent.
    apiKey: settings.apiKey ?? 'no-api-key',
    // `null` rather than `undefined` keeps the SDK from reading OPENAI_BASE_URL, OPENAI_ORG_ID and
    // OPENAI_PROJECT_ID from the environment: the config file is the only source of settings.
    baseURL: settings.baseUrl ?? null,
    organization: settings.organization ?? null,
    project: null,
    timeout: settings.timeoutMs,
    // Retries belong to the router, which knows the other targets and the request's deadline; SDK
    // retries would hide failures from it and multiply the time a dead upstream costs.
    maxRetries: 0,
    // Undici's dispatcher rather than fetch: the SDK still makes the call, and no stream sits between
    // the socket and our event reader (see fetch-over-undici-dispatcher.ts).
    fetch: createFetchOverUndiciDispatcher(),
    defaultHeaders: {
      // A header set to `null` is removed, so a keyless server never sees a made-up bearer token.
      ...(settings.apiKey === undefined ? { Authorization: null } : {}),
      ...settings.headers,
    },
  });
}
