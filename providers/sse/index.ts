import { defineProviderKind } from '../../src/spec/provider-kind.ts';
import { startOnFirstPart } from '../shared/start-on-first-part.ts';
import { sseConfigSchema } from './sse-config-schema.ts';
import { streamSseParts } from './stream-sse-parts.ts';

/** A generic provider for any upstream that streams Server-Sent Events, configured with JSON pointers. */
export const sseProvider = defineProviderKind({
  type: 'sse',
  configSchema: sseConfigSchema,
  create(config, { name }) {
    return {
      async stream(request, { signal, log, requestId, traceparent }) {
        if (request.tools?.length) {
          // The generic kinds have no tool-call format to translate into, so tools cannot reach the upstream.
          log.warn({ provider: name, tools: request.tools.length }, 'the sse provider kind ignores tools');
        }
        return startOnFirstPart(
          await streamSseParts(config, request, { signal, requestId, traceparent }),
          signal,
        );
      },
    };
  },
});
