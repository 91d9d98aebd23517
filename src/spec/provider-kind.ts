import type { z } from 'zod';
import type { ProviderAdapter } from './provider-adapter.ts';

/** What creating an adapter may use besides its own config. */
export interface ProviderContext {
  /** The provider's name in config (e.g. `openai`, `local`). */
  name: string;
}

/** A provider a Sluice started without a config file takes from the environment, and the model that uses it. */
export interface EnvironmentProvider {
  /** The provider's name in config. */
  name: string;
  /** Its config block, `type` included, validated like one read from a file. */
  config: Record<string, unknown>;
  /** The model name clients ask for, and the upstream model it routes to. */
  model: { name: string; upstreamModel: string };
}

/**
 * One kind of provider: the schema of its config block (with `type` as a literal) and a factory.
 * `providers/index.ts` lists every kind; the composition root hands that list to config validation
 * and wiring, which never import it themselves.
 */
export interface ProviderKind<Schema extends z.ZodObject = z.ZodObject> {
  type: string;
  configSchema: Schema;
  create(config: z.infer<Schema>, context: ProviderContext): ProviderAdapter;
  /** The provider this kind adds to a Sluice without a config file when the environment has its key. */
  fromEnvironment?(env: NodeJS.ProcessEnv): EnvironmentProvider | undefined;
}

/** Declares a provider kind with its config type inferred from the schema. */
export function defineProviderKind<Schema extends z.ZodObject>(
  kind: ProviderKind<Schema>,
): ProviderKind<Schema> {
  return kind;
}
