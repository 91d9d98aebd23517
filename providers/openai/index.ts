import { z } from 'zod';
import { defineProviderKind } from '../../src/spec/provider-kind.ts';
import { defaultOpenAiTimeoutMs, openAiAdapterLoadedLazily } from './openai-adapter-loaded-lazily.ts';

const openAiConfigSchema = z.strictObject({
  type: z.literal('openai'),
  api_key: z.string().min(1),
  /** Absent means `https://api.openai.com/v1`; set it for a proxy or a regional endpoint. */
  base_url: z.url({ protocol: /^https?$/ }).optional(),
  organization: z.string().min(1).optional(),
  timeout_ms: z.number().int().positive().default(defaultOpenAiTimeoutMs),
});

/** OpenAI's own Chat Completions API. */
export const openAiProvider = defineProviderKind({
  type: 'openai',
  configSchema: openAiConfigSchema,
  fromEnvironment(env) {
    if (!env.OPENAI_API_KEY) return undefined;
    return {
      name: 'openai',
      config: { type: 'openai', api_key: env.OPENAI_API_KEY },
      model: { name: 'fast', upstreamModel: 'gpt-4o-mini' },
    };
  },
  create(config) {
    return openAiAdapterLoadedLazily(
      {
        apiKey: config.api_key,
        baseUrl: config.base_url,
        organization: config.organization,
        timeoutMs: config.timeout_ms,
      },
      { maxTokensField: 'max_completion_tokens', includeUsage: true },
    );
  },
});
