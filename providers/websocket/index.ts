import { defineProviderKind } from '../../src/spec/provider-kind.ts';
import { startOnFirstPart } from '../shared/start-on-first-part.ts';
import { streamWebsocketParts } from './stream-websocket-parts.ts';
import { websocketConfigSchema } from './websocket-config-schema.ts';

/** A generic provider that relays each request over an upstream WebSocket, configured with JSON pointers. */
export const websocketProvider = defineProviderKind({
  type: 'websocket',
  configSchema: websocketConfigSchema,
  create(config, { name }) {
    return {
      async stream(request, { signal, log, requestId, traceparent }) {
        if (request.tools?.length) {
          // The generic kinds have no tool-call format to translate into, so tools cannot reach the upstream.
          log.warn(
            { provider: name, tools: request.tools.length },
            'the websocket provider kind ignores tools',
          );
        }
        return startOnFirstPart(
          await streamWebsocketParts(config, request, { signal, requestId, traceparent }),
          signal,
        );
      },
    };
  },
});
