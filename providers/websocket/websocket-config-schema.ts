import { z } from 'zod';
import { bodyTemplateSchema } from '../shared/render-upstream-body.ts';
import { upstreamHeadersSchema } from '../shared/upstream-headers-schema.ts';
import { jsonPointerSchema, upstreamMessagePathsSchema } from '../shared/upstream-message-reader.ts';

/**
 * The config of a `websocket` provider: an upstream WebSocket endpoint that takes one request message
 * after the handshake and answers with a stream of messages, read through JSON pointers.
 */
export const websocketConfigSchema = z
  .strictObject({
    type: z.literal('websocket'),
    url: z.url({ protocol: /^wss?$/ }),
    /** Sent with the handshake; values may hold secrets, so they are never logged. */
    headers: upstreamHeadersSchema.optional(),
    /**
     * The message sent once the socket is open, a body template (see `bodyTemplateSchema`); by default
     * `{model, messages, max_tokens?, temperature?, top_p?, stop?}`. A template that renders to a string
     * is sent as that text; anything else as JSON.
     */
    request: bodyTemplateSchema.optional(),
    ...upstreamMessagePathsSchema.shape,
    /** A message in which this member exists ends the stream (its other fields are still read). */
    done_path: jsonPointerSchema.optional(),
    /** When set, the member at `done_path` must also equal this value. */
    done_value: z.json().optional(),
    /** How long the TCP connect and the opening handshake may take together. */
    connect_timeout_ms: z.number().int().min(1).max(120_000).default(10_000),
  })
  .superRefine((config, context) => {
    if (config.done_value !== undefined && config.done_path === undefined) {
      context.addIssue({ code: 'custom', path: ['done_value'], message: 'done_value needs done_path' });
    }
  });

/** A parsed `websocket` provider config. */
export type WebsocketConfig = z.infer<typeof websocketConfigSchema>;
