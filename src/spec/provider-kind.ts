import type { z } from 'zod';
import type { ProviderAdapter } from './provider-adapter.ts';

/** What creating an adapter may use besides its own config. */
export interface ProviderContext {
  /** The provider's name in config (e.g. `openai`, `local`). */
  name: string;
}

/**
 * One kind of provider: the schema of its config block (with `type` as a literal) and a factory.
 * `providers/index.ts` lists every kind; config validation and wiring read that list only.
 */
export interface ProviderKind<Schema extends z.ZodObject = z.ZodObject> {
  type: string;
  configSchema: Schema;
  create(config: z.infer<Schema>, context: ProviderContext): ProviderAdapter;
}

/** Declares a provider kind with its config type inferred from the schema. */
export function defineProviderKind<Schema extends z.ZodObject>(
  kind: ProviderKind<Schema>,
): ProviderKind<Schema> {
  return kind;
}
