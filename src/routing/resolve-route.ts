import type { Config } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ProviderAdapter } from '../spec/provider-adapter.ts';

/** Where a request goes: one provider and the upstream's own model name. */
export interface ResolvedTarget {
  /** The provider's name in config. */
  provider: string;
  /** The upstream's model name. */
  model: string;
  adapter: ProviderAdapter;
  /** What a client's cancel does to the upstream call (see `models.<name>.on_cancel`). */
  onCancel: 'abort' | 'drain';
}

/** Maps the model names clients ask for to provider targets, from config. */
export interface Router {
  resolve(model: string): ResolvedTarget;
  /** The model names a client may ask for. */
  modelNames(): string[];
}

/** Builds a router over the config's model routes and the adapters created for its providers. */
export function createRouter(config: Config, adapters: ReadonlyMap<string, ProviderAdapter>): Router {
  const names = Object.keys(config.models).sort();
  return {
    resolve(model) {
      const route = Object.hasOwn(config.models, model) ? config.models[model] : undefined;
      if (!route) throw new GatewayError('not_found', `unknown model "${model}"`);
      const adapter = adapters.get(route.target.provider);
      if (!adapter)
        throw new GatewayError('internal', `provider "${route.target.provider}" is not configured`);
      return {
        provider: route.target.provider,
        model: route.target.model,
        adapter,
        onCancel: route.on_cancel,
      };
    },
    modelNames: () => names,
  };
}
