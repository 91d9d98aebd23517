import { z } from 'zod';
import { builtinHook, builtinHooks } from './builtin-hooks.ts';

/** The file types a custom hook module may have; Node runs `.ts` directly. */
const modulePath = /\.(?:[cm]?js|[cm]?ts)$/;

/** One entry of the `hooks` list: a built-in hook or a module, with its options. */
export const hookEntrySchema = z
  .strictObject({
    /** A built-in hook's name, or a path to a module (relative to the config file's directory). */
    use: z
      .string()
      .min(1)
      .refine(
        (use) => builtinHook(use) !== undefined || modulePath.test(use),
        `must be ${Object.keys(builtinHooks)
          .map((name) => `"${name}"`)
          .join(', ')} or a path to a .js or .ts module`,
      ),
    /** Handed to the hook's factory; built-in hooks check theirs when the config is loaded. */
    options: z.record(z.string(), z.unknown()).default({}),
    /** When the hook throws or times out: skip it with a warning instead of failing the request with `internal`. */
    fail_open: z.boolean().default(false),
    /** How long a `pre` or `done` hook may take. */
    timeout_ms: z.number().int().min(1).max(60_000).default(1000),
    /** Names the hook in logs and errors; by default the hook's own name, or `use`. */
    name: z.string().min(1).optional(),
  })
  .superRefine((entry, context) => {
    const builtin = builtinHook(entry.use);
    if (!builtin) return;
    const result = builtin.optionsSchema.safeParse(entry.options);
    for (const issue of result.error?.issues ?? []) {
      context.addIssue({ code: 'custom', path: ['options', ...issue.path], message: issue.message });
    }
  });

/** The `hooks` block of the config: run in this order at every stage. */
export const hooksConfigSchema = z.array(hookEntrySchema).default([]);

/** A parsed hook entry. */
export type HookEntry = z.infer<typeof hookEntrySchema>;
