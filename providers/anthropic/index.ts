import { defineProviderKind } from '../../src/spec/provider-kind.ts';
import { adapterLoadedFrom } from '../shared/adapter-loaded-from.ts';
import { anthropicConfigSchema } from './anthropic-config-schema.ts';

/** Anthropic's Messages API, streamed through the official SDK (loaded only when configured). */
export const anthropicProvider = defineProviderKind({
  type: 'anthropic',
  configSchema: anthropicConfigSchema,
  create(config) {
    return adapterLoadedFrom(async () => {
      const { createAnthropicAdapter } = await import('./create-anthropic-adapter.ts');
      return createAnthropicAdapter(config);
    });
  },
});
