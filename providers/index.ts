import { anthropicProvider } from './anthropic/index.ts';
import { demoProvider } from './demo/index.ts';
import type { ProviderKind } from './shared/provider-kind.ts';

/** Every kind of provider Sluice can talk to: the one list config and wiring read. */
export const providerKinds = [demoProvider, anthropicProvider] as const satisfies readonly ProviderKind[];
