import type { z } from 'zod';
import { blockedTermsOptionsSchema, createBlockedTerms } from './builtin/blocked-terms.ts';
import { createPiiRedactor, piiRedactorOptionsSchema } from './builtin/pii-redactor.ts';
import type { HookFactory } from './hook-types.ts';

/** A hook that ships with Sluice, named in the config by its key in {@link builtinHooks}. */
export interface BuiltinHook {
  create: HookFactory;
  /** Checked when the config is loaded, so a bad option stops start-up with its path. */
  optionsSchema: z.ZodType;
}

/** The one list of built-in hooks; `use:` any other value is a path to a module. */
export const builtinHooks: Record<string, BuiltinHook> = {
  'pii-redactor': { create: createPiiRedactor, optionsSchema: piiRedactorOptionsSchema },
  'blocked-terms': { create: createBlockedTerms, optionsSchema: blockedTermsOptionsSchema },
};

/** The built-in hook named `use`, if it is one. */
export function builtinHook(use: string): BuiltinHook | undefined {
  return Object.hasOwn(builtinHooks, use) ? builtinHooks[use] : undefined;
}
