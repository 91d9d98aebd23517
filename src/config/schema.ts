import { z } from 'zod';
import { authConfigSchema } from '../auth/auth-config-schema.ts';
import { cacheConfigSchema } from '../cache/cache-config-schema.ts';
import { hooksConfigSchema } from '../hooks/hook-config-schema.ts';
import { planSchema, priceSchema, quotaSettingsSchema } from '../quota/plan-schema.ts';
import { modelRouteSchema } from '../routing/route-schema.ts';
import type { ProviderKind } from '../spec/provider-kind.ts';
import { telemetryConfigSchema } from '../tracing/telemetry-config-schema.ts';

/** A provider block as validated by its kind's own schema; only that kind reads its other fields. */
export type ProviderConfig = { type: string } & Record<string, unknown>;

/** Any provider block of the given kinds, told apart by its `type`. */
function createProviderConfigSchema(kinds: readonly ProviderKind[]): z.ZodType<ProviderConfig> {
  const [firstKind, ...otherKinds] = kinds.map((kind) => kind.configSchema);
  if (!firstKind) throw new Error('a config schema needs at least one provider kind');
  return z.discriminatedUnion('type', [firstKind, ...otherKinds]) as unknown as z.ZodType<ProviderConfig>;
}

const perIpSchema = z.strictObject({
  /** Open TCP connections one IP address may hold, HTTP and WebSocket alike; more are closed at once. */
  max_connections: z.number().int().min(1).default(256),
  /** WebSocket handshakes one IP address may attempt per minute. */
  handshakes_per_minute: z.number().int().min(1).default(600),
});

const redisStoreSchema = z.strictObject({
  /** `redis://[:password@]host:port[/db]` (or `rediss://`); `REDIS_URL` when not set here. */
  url: z.string().min(1).optional(),
  /** Put before every key, so that several deployments (or test runs) can share one Redis. */
  prefix: z.string().default('sluice:'),
  /** How long one Redis command may take before the request it serves fails with `unavailable`. */
  command_timeout_ms: z.number().int().min(10).default(2000),
});

/** `store: redis` is short for `store: {backend: redis}`. */
const storeSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { backend: value } : value),
  z.strictObject({
    /**
     * `embedded`: one instance, quotas in its SQLite ledger. `redis`: many instances share quotas,
     * rate limits, the response cache, coalescing and resumable streams through Redis.
     */
    backend: z.enum(['embedded', 'redis']).default('embedded'),
    /** This instance's SQLite usage ledger (`:memory:` keeps nothing across restarts). */
    path: z.string().min(1).default('./data/sluice.db'),
    redis: redisStoreSchema.default(redisStoreSchema.parse({})),
  }),
);

/** Resumable streams: every request's frames are kept so a client that lost its connection can `resume`. */
const resumeSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** How long a request whose client vanished runs on, waiting to be resumed, before it is aborted. */
  grace_ms: z.number().int().min(0).default(30_000),
  /** How long a request's frames stay resumable after it ended. */
  retention_ms: z.number().int().min(1000).default(60_000),
  /** The most frames kept per request; a resume that needs an older one gets `not_found`. */
  max_events: z.number().int().min(16).default(10_000),
  /**
   * In memory (no Redis): the most bytes of ended requests' frames kept (UTF-8, plus 8 a frame); the
   * oldest go first. 4 MiB keeps the last ~550 ended replies of 100 tokens each (~7.5 KiB apiece).
   */
  max_memory_bytes: z.number().int().min(65_536).default(4_194_304),
});

const tlsSchema = z.strictObject({
  /** PEM certificate chain, read once at start-up. */
  cert_file: z.string().min(1),
  /** PEM private key, read once at start-up. */
  key_file: z.string().min(1),
});

const serverSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(8787),
  /** Largest client frame; a bigger one closes the connection with 1009. */
  max_frame_bytes: z.number().int().min(1024).default(1_048_576),
  /**
   * Browser origins (`scheme://host[:port]`) allowed to use `/v1/` on both doors, answered with CORS;
   * `["*"]` allows any. Not set: only Sluice's own origin (the chat page it serves), so no other web page
   * can drive it. Clients that send no `Origin` (servers, CLIs) are always allowed.
   */
  allowed_origins: z
    .array(
      z
        .string()
        .refine(
          (origin) => origin === '*' || URL.parse(origin)?.origin === origin,
          'an origin is scheme://host[:port], with no path or trailing slash (or "*" for any)',
        ),
    )
    .min(
      1,
      "an empty list would refuse every browser, the chat page too: leave the field out for Sluice's own origin only",
    )
    .optional(),
  /** Interval of WebSocket pings; a peer that misses one whole interval is dropped. */
  heartbeat_ms: z.number().int().min(100).default(30_000),
  /** Invalid frames one connection may send before it is closed with 1008. */
  max_bad_frames: z.number().int().min(1).default(20),
  /** Bytes queued for one client beyond which Sluice stops reading that client's upstreams. */
  send_high_water_bytes: z.number().int().min(1024).default(262_144),
  /** Requests one connection may run at once. */
  max_requests_per_connection: z.number().int().min(1).default(100),
  /**
   * WebSocket requests one user (one address, for anonymous users) may have running on one instance,
   * its connections' together with those whose connection closed and that wait for a `resume`; past
   * it the oldest such orphans are cancelled, and with none left a new chat gets `rate_limited`.
   * 256 is far more than people chatting under one account start at once, and bounds the upstream
   * streams a client can keep open by starting chats and dropping its connection, over and over.
   */
  max_requests_per_user: z.number().int().min(1).default(256),
  per_ip: perIpSchema.default(perIpSchema.parse({})),
  /** Largest HTTP request body; a bigger one is refused with 413 `too_large`. */
  max_body_bytes: z.number().int().min(1024).default(4_194_304),
  /** How long a client may take to send a request's headers (WebSocket handshakes too); then 408. */
  headers_timeout_ms: z.number().int().min(100).default(10_000),
  /** How long a client may take to send a whole request, body included; then 408. Responses are not limited. */
  request_timeout_ms: z.number().int().min(100).default(30_000),
  /** How long an idle keep-alive HTTP connection stays open waiting for its next request. */
  keep_alive_timeout_ms: z.number().int().min(100).default(5_000),
  /**
   * TCP connections the server holds at once; past it new ones are closed, so the requests in flight keep
   * the file descriptors they need. Not set: half of the process's open-file limit less 64 (one upstream
   * connection per client connection, plus the ledger and logs).
   */
  max_connections: z.number().int().min(1).optional(),
  /** On SIGTERM, how long requests in flight may run on before they are ended. */
  drain_timeout_ms: z.number().int().min(0).default(30_000),
  /** Reload the config when its file changes (SIGHUP always reloads). */
  watch_config: z.boolean().default(false),
  /** When set, the one port serves HTTPS and `wss://` with this certificate (TLS ends in Sluice). */
  tls: tlsSchema.optional(),
});

const logSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The schema of the whole config file, for the provider kinds the composition root hands in. */
export function createConfigSchema(kinds: readonly ProviderKind[]) {
  return z
    .strictObject({
      server: serverSchema.default(serverSchema.parse({})),
      log: logSchema.default(logSchema.parse({})),
      providers: z.record(z.string().min(1), createProviderConfigSchema(kinds)).default({}),
      models: z.record(z.string().min(1), modelRouteSchema).default({}),
      auth: authConfigSchema.default(authConfigSchema.parse({})),
      /** Quota plans by name; a user's plan comes from its API key, JWT claim or the anonymous setting. */
      plans: z.record(z.string().min(1), planSchema).default({ default: {} }),
      /** Prices per upstream model, for money limits and `cost_usd`. */
      pricing: z.record(z.string().min(1), priceSchema).default({}),
      quota: quotaSettingsSchema.default(quotaSettingsSchema.parse({})),
      store: storeSchema.default(storeSchema.parse({})),
      resume: resumeSchema.default(resumeSchema.parse({})),
      cache: cacheConfigSchema.default(cacheConfigSchema.parse({})),
      /** Pre, stream and done hooks, in order (built-ins or modules by path, relative to the config file). */
      hooks: hooksConfigSchema,
      /** Prompt templates: every `*.md` in the directory (relative to the working directory), read at start-up and on reload. */
      prompts: z.strictObject({ directory: z.string().min(1).optional() }).default({}),
      /** Where spans are exported (OpenTelemetry, OTLP/HTTP); absent exports none. */
      telemetry: telemetryConfigSchema.default(telemetryConfigSchema.parse({})),
    })
    .superRefine((config, context) => {
      // Node refuses a server whose headers may take longer than the whole request.
      if (config.server.headers_timeout_ms > config.server.request_timeout_ms) {
        context.addIssue({
          code: 'custom',
          path: ['server', 'headers_timeout_ms'],
          message: 'must not be more than server.request_timeout_ms',
        });
      }
      if (config.store.backend === 'redis' && config.store.redis.url === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['store', 'redis', 'url'],
          message: 'required with `backend: redis` (or set REDIS_URL)',
        });
      }
      const plans = [
        ...config.auth.api_keys.map((key, index) => ({
          plan: key.plan,
          path: ['auth', 'api_keys', index, 'plan'],
        })),
        ...(config.auth.anonymous.enabled
          ? [{ plan: config.auth.anonymous.plan, path: ['auth', 'anonymous', 'plan'] }]
          : []),
      ];
      for (const { plan, path } of plans) {
        if (!Object.hasOwn(config.plans, plan))
          context.addIssue({ code: 'custom', path, message: `unknown plan "${plan}"` });
      }
      for (const [planName, plan] of Object.entries(config.plans)) {
        for (const [index, model] of (plan.models ?? []).entries()) {
          if (!Object.hasOwn(config.models, model)) {
            context.addIssue({
              code: 'custom',
              path: ['plans', planName, 'models', index],
              message: `unknown model "${model}"`,
            });
          }
        }
      }
      for (const [name, route] of Object.entries(config.models)) {
        for (const [index, target] of route.targets.entries()) {
          if (!Object.hasOwn(config.providers, target.provider)) {
            context.addIssue({
              code: 'custom',
              path: route.single
                ? ['models', name, 'target', 'provider']
                : ['models', name, 'targets', index, 'provider'],
              message: `unknown provider "${target.provider}"`,
            });
          }
        }
      }
    });
}

/** A validated config, whichever provider kinds validated it. */
export type Config = z.infer<ReturnType<typeof createConfigSchema>>;
