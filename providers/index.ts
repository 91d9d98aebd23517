import type { ProviderKind } from '../src/spec/provider-kind.ts';
import { anthropicProvider } from './anthropic/index.ts';
import { demoProvider } from './demo/index.ts';
import { openAiProvider } from './openai/index.ts';
import { openAiCompatibleProvider } from './openai-compatible/index.ts';
import { sseProvider } from './sse/index.ts';
import { websocketProvider } from './websocket/index.ts';

/** Every kind of provider Sluice can talk to: the one list config and wiring read. */
export const providerKinds = [
  demoProvider,
  anthropicProvider,
  openAiProvider,
  openAiCompatibleProvider,
  sseProvider,
  websocketProvider,
] as const satisfies readonly ProviderKind[];
