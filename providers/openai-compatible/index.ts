import { z } from 'zod';
import { defineProviderKind } from '../../src/spec/provider-kind.ts';
import { defaultOpenAiTimeoutMs, openAiAdapterLoadedLazily } from '../openai/openai-adapter-loaded-lazily.ts';

const openAiCompatibleConfigSchema = z.strictObject({
  type: z.literal('openai-compatible'),
  /** The API root, the part before `/chat/completions` (e.g. `http://localhost:11434/v1`). */
  base_url: z.url({ protocol: /^https?$/ }),
  /** Absent for local servers that need none: then no `Authorization` header is sent. */
  api_key: z.string().min(1).optional(),
  /** Ask for the usage chunk; turn off for servers that reject `stream_options`. */
  include_usage: z.boolean().default(true),
  /** Extra headers for every request (a gateway's own auth header, a tenant id...). */
  headers: z.record(z.string(), z.string()).optional(),
  timeout_ms: z.number().int().positive().default(defaultOpenAiTimeoutMs),
});

/** Any server that speaks OpenAI's Chat Completions: vLLM, Ollama, llama.cpp, LM Studio, Groq, Together... */
export const openAiCompatibleProvider = defineProviderKind({
  type: 'openai-compatible',
  configSchema: openAiCompatibleConfigSchema,
  create(config) {
    return openAiAdapterLoadedLazily(
      {
        apiKey: config.api_key,
        baseUrl: config.base_url,
        timeoutMs: config.timeout_ms,
        headers: config.headers,
      },
      // `max_tokens` because many compatible servers do not know OpenAI's newer `max_completion_tokens`.
      { maxTokensField: 'max_tokens', includeUsage: config.include_usage },
    );
  },
});
