import type { ProviderAdapter } from '../../src/spec/provider-adapter.ts';

/**
 * An adapter whose implementation is imported when its provider is created, not when Sluice starts:
 * the SDK behind it (tens of MiB each) is then loaded only for provider kinds the config uses.
 * Loading starts at once, in the background; a call that comes before it finished waits for it, and
 * a failure to load is the failure of every call.
 */
export function adapterLoadedFrom(load: () => Promise<ProviderAdapter>): ProviderAdapter {
  const loading = load();
  // Reported to each call instead: a provider that is never used must not crash Sluice.
  loading.catch(() => {});
  return {
    async stream(request, options) {
      return (await loading).stream(request, options);
    },
  };
}
