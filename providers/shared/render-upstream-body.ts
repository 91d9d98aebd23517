import { z } from 'zod';
import type { ProviderRequest } from '../../src/spec/chat-request.ts';

/**
 * The request values a body template can place, each as a whole JSON string `"{{name}}"`.
 * `messages` is `[{role, content}]`; `last_user_message` is the content of the last user message.
 */
const placeholderValues = {
  model: (request: ProviderRequest) => request.model,
  messages: (request: ProviderRequest) =>
    request.messages.map((message) => ({ role: message.role, content: message.content })),
  max_tokens: (request: ProviderRequest) => request.maxTokens,
  temperature: (request: ProviderRequest) => request.temperature,
  top_p: (request: ProviderRequest) => request.topP,
  // An empty stop list means "none"; some upstreams reject `stop: []`.
  stop: (request: ProviderRequest) => (request.stop?.length ? request.stop : undefined),
  last_user_message: (request: ProviderRequest) =>
    request.messages.findLast((message) => message.role === 'user')?.content,
} satisfies Record<string, (request: ProviderRequest) => unknown>;

type PlaceholderName = keyof typeof placeholderValues;

const wholePlaceholder = /^\{\{\s*([a-z_]+)\s*\}\}$/;

function placeholderIn(text: string): PlaceholderName | undefined {
  const name = wholePlaceholder.exec(text)?.[1];
  return name !== undefined && Object.hasOwn(placeholderValues, name) ? (name as PlaceholderName) : undefined;
}

function* stringsIn(
  value: unknown,
  path: (string | number)[] = [],
): Generator<[string, (string | number)[]]> {
  if (typeof value === 'string') yield [value, path];
  else if (Array.isArray(value))
    for (const [index, item] of value.entries()) yield* stringsIn(item, [...path, index]);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) yield* stringsIn(item, [...path, key]);
  }
}

/**
 * A template for the body an upstream receives: any JSON, in which a string that is exactly
 * `"{{model}}"`, `"{{messages}}"`, `"{{max_tokens}}"`, `"{{temperature}}"`, `"{{top_p}}"`,
 * `"{{stop}}"` or `"{{last_user_message}}"` is replaced by that request value (keeping its JSON type),
 * and a member or array item whose value the request does not set is left out.
 * Placeholders inside longer strings are refused, so a typo cannot reach the upstream as literal text.
 */
export const bodyTemplateSchema = z.json().superRefine((template, context) => {
  for (const [text, path] of stringsIn(template)) {
    if (text.includes('{{') && placeholderIn(text) === undefined) {
      context.addIssue({
        code: 'custom',
        path,
        message: `"${text}" is not a placeholder: use one of ${Object.keys(placeholderValues)
          .map((name) => `"{{${name}}}"`)
          .join(', ')} as the whole string`,
      });
    }
  }
});

/** A parsed body template (see `bodyTemplateSchema`). */
export type BodyTemplate = z.infer<typeof bodyTemplateSchema>;

/** The OpenAI-style body most streaming chat APIs accept, without the `stream` flag. */
export const chatBodyTemplate: Record<string, BodyTemplate> = {
  model: '{{model}}',
  messages: '{{messages}}',
  max_tokens: '{{max_tokens}}',
  temperature: '{{temperature}}',
  top_p: '{{top_p}}',
  stop: '{{stop}}',
};

/** Fills a body template with a request's values; `undefined` means "leave this out". */
export function renderUpstreamBody(template: BodyTemplate, request: ProviderRequest): unknown {
  if (typeof template === 'string') {
    const name = placeholderIn(template);
    return name === undefined ? template : placeholderValues[name](request);
  }
  if (Array.isArray(template)) {
    return template.map((item) => renderUpstreamBody(item, request)).filter((item) => item !== undefined);
  }
  if (template !== null && typeof template === 'object') {
    const rendered: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(template)) {
      const value = renderUpstreamBody(item as BodyTemplate, request);
      if (value !== undefined) rendered[key] = value;
    }
    return rendered;
  }
  return template;
}
