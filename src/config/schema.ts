import { z } from 'zod';
import { providerKinds } from '../../providers/index.ts';

const [firstKind, ...otherKinds] = providerKinds.map((kind) => kind.configSchema);

/** Any provider block, told apart by its `type`. */
export const providerConfigSchema = z.discriminatedUnion('type', [firstKind!, ...otherKinds]);

const targetSchema = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1),
});

const modelRouteSchema = z.strictObject({
  target: targetSchema,
});

const serverSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(8787),
  /** Largest client frame; a bigger one closes the connection with 1009. */
  max_frame_bytes: z.number().int().min(1024).default(1_048_576),
  /** Browser origins allowed to open a WebSocket; empty allows any. */
  allowed_origins: z.array(z.string()).default([]),
  /** Interval of WebSocket pings; a peer that misses one whole interval is dropped. */
  heartbeat_ms: z.number().int().min(100).default(30_000),
  /** Invalid frames one connection may send before it is closed with 1008. */
  max_bad_frames: z.number().int().min(1).default(20),
  /** Bytes queued for one client beyond which Sluice stops reading that client's upstreams. */
  send_high_water_bytes: z.number().int().min(1024).default(262_144),
  /** Requests one connection may run at once. */
  max_requests_per_connection: z.number().int().min(1).default(100),
});

const logSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The whole config file. */
export const configSchema = z
  .strictObject({
    server: serverSchema.default(serverSchema.parse({})),
    log: logSchema.default(logSchema.parse({})),
    providers: z.record(z.string().min(1), providerConfigSchema).default({}),
    models: z.record(z.string().min(1), modelRouteSchema).default({}),
  })
  .superRefine((config, context) => {
    for (const [name, route] of Object.entries(config.models)) {
      if (!(route.target.provider in config.providers)) {
        context.addIssue({
          code: 'custom',
          path: ['models', name, 'target', 'provider'],
          message: `unknown provider "${route.target.provider}"`,
        });
      }
    }
  });

export type Config = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerConfigSchema>;
export type ModelRoute = z.infer<typeof modelRouteSchema>;
