import { z } from 'zod';

/** What a prompt name may look like: it is also the start of its file name. */
export const promptNamePattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** What a variable name may look like, so `{{name}}` is never ambiguous. */
export const variableNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

// `text:` with nothing after it reads as "a required variable with no description", so null means `{}`.
const variableSchema = z.preprocess(
  (value) => value ?? {},
  z.strictObject({
    description: z.string().optional(),
    /** A variable without a default is required. */
    default: z.string({ error: 'must be a string (quote it)' }).optional(),
  }),
);

// The same limits as the protocol's own sampling fields, so a template never asks for what a request may not.
const parametersSchema = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: z.number().int().positive().optional(),
  stop: z
    .union([z.string(), z.array(z.string()).min(1).max(4)])
    .transform((stop) => (typeof stop === 'string' ? [stop] : stop))
    .optional(),
});

/** The YAML front matter of a prompt file. */
export const promptFrontMatterSchema = z.strictObject({
  name: z
    .string()
    .regex(
      promptNamePattern,
      'must be 1-64 lowercase letters, digits, "-" or "_", starting with a letter or digit',
    ),
  version: z.number().int('must be a whole number').positive('must be 1 or more'),
  description: z.string().min(1),
  variables: z
    .record(
      z.string().regex(variableNamePattern, 'must be letters, digits or "_", not starting with a digit'),
      variableSchema,
    )
    .default({}),
  /** Used when the request names no model. */
  model: z.string().min(1).optional(),
  /** Defaults under the request's own sampling fields. */
  parameters: parametersSchema.optional(),
});

/** A validated front matter. */
export type PromptFrontMatter = z.infer<typeof promptFrontMatterSchema>;
