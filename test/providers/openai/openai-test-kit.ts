import { pino } from 'pino';
import { openAiProvider } from '../../../providers/openai/index.ts';
import type { ProviderRequest } from '../../../src/spec/chat-request.ts';
import type { ProviderAdapter, ProviderCallOptions } from '../../../src/spec/provider-adapter.ts';
import type { StreamPart } from '../../../src/spec/stream-part.ts';

/** A stream part as tests compare it: an error part reduced to its code, so whole sequences compare. */
export type ComparablePart = Exclude<StreamPart, { type: 'error' }> | { type: 'error'; code: string };

/** Reads a whole stream of parts, error parts reduced to their code. */
export async function collectParts(parts: AsyncIterable<StreamPart>): Promise<ComparablePart[]> {
  const collected: ComparablePart[] = [];
  for await (const part of parts) {
    collected.push(part.type === 'error' ? { type: 'error', code: part.error.code } : part);
  }
  return collected;
}

/** The call options of one request: its own abort controller, a silent logger and a fixed request id. */
export function callOptions(controller = new AbortController()): ProviderCallOptions {
  return { signal: controller.signal, log: pino({ level: 'silent' }), requestId: 'req_sluice_test_1' };
}

/** A one-message request to the given upstream model. */
export function userRequest(text = 'Hi', model = 'gpt-4o-mini'): ProviderRequest {
  return { model, messages: [{ role: 'user', content: text }] };
}

/** An `openai` adapter, built from config the way Sluice builds it, pointed at a fake server. */
export function createOpenAiAdapter(baseUrl: string, config: Record<string, unknown> = {}): ProviderAdapter {
  const parsed = openAiProvider.configSchema.parse({
    type: 'openai',
    api_key: 'sk-test-key',
    base_url: baseUrl,
    ...config,
  });
  return openAiProvider.create(parsed, { name: 'openai' });
}
