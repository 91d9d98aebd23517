import { defineProviderKind } from '../../src/spec/provider-kind.ts';
import { adapterLoadedFrom } from '../shared/adapter-loaded-from.ts';
import { anthropicConfigSchema } from './anthropic-config-schema.ts';

/** Anthropic's Messages API, streamed through the official SDK (loaded only when configured). */
export const anthropicProvider = defineProviderKind({
  type: 'anthropic',
  configSchema: anthropicConfigSchema,
  fromEnvironment(env) {
    if (!env.ANTHROPIC_API_KEY) return undefined;
    return {
      name: 'anthropic',
      config: { type: 'anthropic', api_key: env.ANTHROPIC_API_KEY },
      model: { name: 'smart', upstreamModel: 'claude-sonnet-4-6' },
    };
  },
  create(config) {
    return adapterLoadedFrom(async () => {
      const { createAnthropicAdapter } = await import('./create-anthropic-adapter.ts');
      return createAnthropicAdapter(config);
    });
  },
});
