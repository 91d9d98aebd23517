import { providerKinds } from '../../providers/index.ts';
import type { Config } from '../config/schema.ts';
import type { ProviderAdapter } from '../spec/provider-adapter.ts';
import type { ProviderKind } from '../spec/provider-kind.ts';

const kindsByType = new Map<string, ProviderKind>(
  providerKinds.map((kind) => [kind.type, kind as ProviderKind]),
);

/** Creates one adapter per configured provider, keyed by the provider's name. */
export function createProviders(config: Config): Map<string, ProviderAdapter> {
  const adapters = new Map<string, ProviderAdapter>();
  for (const [name, providerConfig] of Object.entries(config.providers)) {
    const kind = kindsByType.get(providerConfig.type);
    // The schema only admits listed types, so a miss here is a bug, not a user error.
    if (!kind) throw new Error(`no provider kind "${providerConfig.type}"`);
    adapters.set(name, kind.create(providerConfig, { name }));
  }
  return adapters;
}
