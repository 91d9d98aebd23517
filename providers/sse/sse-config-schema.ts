import { z } from 'zod';
import { bodyTemplateSchema } from '../shared/render-upstream-body.ts';
import { upstreamHeadersSchema } from '../shared/upstream-headers-schema.ts';
import { upstreamMessagePathsSchema } from '../shared/upstream-message-reader.ts';

/**
 * The config of an `sse` provider: any upstream that streams Server-Sent Events whose `data` is JSON
 * (or plain text), read through JSON pointers.
 */
export const sseConfigSchema = z
  .strictObject({
    type: z.literal('sse'),
    url: z.url({ protocol: /^https?$/ }),
    method: z.enum(['GET', 'POST']).default('POST'),
    /** Sent on every request; values may hold secrets, so they are never logged. */
    headers: upstreamHeadersSchema.optional(),
    /**
     * The JSON body template (see `bodyTemplateSchema`); by default
     * `{model, messages, max_tokens?, temperature?, top_p?, stop?, stream: true}`. A GET sends no body.
     */
    body: bodyTemplateSchema.optional(),
    ...upstreamMessagePathsSchema.shape,
    /** The `data` that ends the stream. */
    done_data: z.string().default('[DONE]'),
    /** An event name that ends the stream (its data is still read, e.g. for usage). */
    done_event: z.string().min(1).optional(),
    /** The event name whose data is an upstream error. */
    error_event: z.string().min(1).default('error'),
  })
  .superRefine((config, context) => {
    if (config.method === 'GET' && config.body !== undefined) {
      context.addIssue({ code: 'custom', path: ['body'], message: 'a GET request has no body' });
    }
  });

/** A parsed `sse` provider config. */
export type SseConfig = z.infer<typeof sseConfigSchema>;
