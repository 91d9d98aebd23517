import type { ProviderAdapter } from '../../src/spec/provider-adapter.ts';
import { adapterLoadedFrom } from '../shared/adapter-loaded-from.ts';
import type { OpenAiDialect } from './convert-to-openai-request.ts';
import type { OpenAiClientSettings } from './create-openai-client.ts';

/** How long to wait for the response headers, the SDK's own default (ten minutes). */
export const defaultOpenAiTimeoutMs = 600_000;

/**
 * The adapter of both OpenAI kinds. The SDK (about 30 MiB) is imported when such a provider is
 * created, so a Sluice without one never loads it.
 */
export function openAiAdapterLoadedLazily(
  settings: OpenAiClientSettings,
  dialect: OpenAiDialect,
): ProviderAdapter {
  return adapterLoadedFrom(async () => {
    const [{ createOpenAiClient }, { createOpenAiChatAdapter }] = await Promise.all([
      import('./create-openai-client.ts'),
      import('./create-openai-chat-adapter.ts'),
    ]);
    return createOpenAiChatAdapter(createOpenAiClient(settings), dialect);
  });
}
