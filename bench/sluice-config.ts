import { stringify } from 'yaml';

/** The model name the rig asks Sluice for. */
export const benchModel = 'bench';

/** What the generated config points at. */
export interface BenchConfigOptions {
  /** The fake upstream's API root. */
  upstreamBaseUrl: string;
  /** The SQLite usage ledger, in the run's temporary directory. */
  storePath: string;
  logLevel: string;
}

/**
 * The config Sluice runs under in the benchmark: one OpenAI-compatible provider at the fake upstream,
 * anonymous access on loopback (no `auth:` block) on a plan without limits, and connection limits
 * raised so that the load, not a guard, is what is measured.
 */
export function benchConfigYaml({ upstreamBaseUrl, storePath, logLevel }: BenchConfigOptions): string {
  return stringify({
    server: {
      host: '127.0.0.1',
      port: 0,
      max_requests_per_connection: 1000,
      // Every load connection comes from 127.0.0.1 as one anonymous user.
      max_requests_per_user: 100_000,
      per_ip: { max_connections: 100_000, handshakes_per_minute: 1_000_000 },
      // The default (half the open-file limit, keeping room for upstream connections) is below the
      // 10,000 idle connections the rig opens on a machine whose limit is 20,000.
      max_connections: 50_000,
    },
    log: { level: logLevel },
    providers: { load: { type: 'openai-compatible', base_url: upstreamBaseUrl } },
    models: { [benchModel]: { target: { provider: 'load', model: 'bench-model' } } },
    plans: { default: {} },
    store: { path: storePath },
  });
}
