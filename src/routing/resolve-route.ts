import { GatewayError } from '../errors/gateway-error.ts';
import { quoteClientValue } from '../log/quote-client-value.ts';
import type { ProviderAdapter } from '../spec/provider-adapter.ts';
import { createTargetSelector, type TargetSelector } from './create-target-selector.ts';
import type { ModelRoute, Target } from './route-schema.ts';
import type { TargetRegistry, TargetState } from './target-registry.ts';

/** One target of a route, ready to call. */
export interface RoutedTarget {
  key: string;
  /** The provider's name in config. */
  provider: string;
  /** The upstream's own model name. */
  model: string;
  weight: number;
  params: Target['params'];
  adapter: ProviderAdapter;
  state: TargetState;
}

/** A model name resolved to its targets and how to use them. */
export interface ResolvedRoute {
  name: string;
  targets: RoutedTarget[];
  selector: TargetSelector<RoutedTarget>;
  inFlightOf(key: string): number;
  onCancel: ModelRoute['on_cancel'];
  timeouts: ModelRoute['timeouts'];
  cache: ModelRoute['cache'];
  coalesce: boolean;
}

/** Maps the model names clients ask for to their routes, from one config. */
export interface Router {
  resolve(model: string): ResolvedRoute;
  /** The model names a client may ask for. */
  modelNames(): string[];
}

/** Builds a router over the config's model routes, the adapters of its providers and the targets' live state. */
export function createRouter(
  config: { models: Readonly<Record<string, ModelRoute>> },
  adapters: ReadonlyMap<string, ProviderAdapter>,
  registry: TargetRegistry,
): Router {
  const routes = new Map<string, ResolvedRoute>();
  for (const [name, route] of Object.entries(config.models)) {
    const targets = route.targets.map((target): RoutedTarget => {
      const adapter = adapters.get(target.provider);
      // The schema checks every target's provider, so a miss here is a bug.
      if (!adapter) throw new Error(`provider "${target.provider}" is not configured`);
      const state = registry.stateOf(target, route);
      return {
        key: state.key,
        provider: target.provider,
        model: target.model,
        weight: target.weight,
        params: target.params,
        adapter,
        state,
      };
    });
    const byKey = new Map(targets.map((target) => [target.key, target.state]));
    routes.set(name, {
      name,
      targets,
      selector: createTargetSelector(route.strategy, targets),
      inFlightOf: (key) => byKey.get(key)?.inFlight ?? 0,
      onCancel: route.on_cancel,
      timeouts: route.timeouts,
      cache: route.cache,
      coalesce: route.coalesce,
    });
  }
  const names = [...routes.keys()].sort();
  return {
    resolve(model) {
      const route = routes.get(model);
      if (!route) throw new GatewayError('not_found', `unknown model ${quoteClientValue(model)}`);
      return route;
    },
    modelNames: () => names,
  };
}
