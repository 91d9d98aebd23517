import type { Config } from '../config/schema.ts';
import type { ProviderAdapter } from '../spec/provider-adapter.ts';
import type { ProviderKind } from '../spec/provider-kind.ts';

/**
 * Creates one adapter per configured provider, keyed by the provider's name, from the provider kinds
 * the composition root passes in (the pipeline does not know the list).
 */
export function createProviders(
  config: Config,
  kinds: readonly ProviderKind[],
): Map<string, ProviderAdapter> {
  const kindsByType = new Map(kinds.map((kind) => [kind.type, kind]));
  const adapters = new Map<string, ProviderAdapter>();
  for (const [name, providerConfig] of Object.entries(config.providers)) {
    const kind = kindsByType.get(providerConfig.type);
    // The schema only admits listed types, so a miss here is a bug, not a user error.
    if (!kind) throw new Error(`no provider kind "${providerConfig.type}"`);
    adapters.set(name, kind.create(providerConfig, { name }));
  }
  return adapters;
}
