import { GatewayError } from '../errors/gateway-error.ts';
import { quoteClientValue } from '../log/quote-client-value.ts';
import type { ChatMessage, SamplingParameters } from '../spec/chat-request.ts';
import type { PromptTemplate } from './prompt-template.ts';

/** A template filled in: the messages that go before the request's own, and the template's defaults. */
export interface RenderedPrompt {
  name: string;
  version: number;
  messages: ChatMessage[];
  /** The template's model, for a request that names none. */
  model?: string;
  /** Defaults under the request's own sampling fields. */
  parameters: SamplingParameters;
}

function resolveValues(template: PromptTemplate, vars: Record<string, unknown>): Map<string, string> {
  const prompt = JSON.stringify(template.name);
  const declared = new Set(template.variables.map((variable) => variable.name));
  for (const name of Object.keys(vars)) {
    if (!declared.has(name)) {
      throw new GatewayError('bad_request', `prompt ${prompt} has no variable ${quoteClientValue(name)}`);
    }
  }
  const values = new Map<string, string>();
  for (const variable of template.variables) {
    const value = Object.hasOwn(vars, variable.name) ? vars[variable.name] : variable.default;
    if (value === undefined) {
      throw new GatewayError('bad_request', `prompt ${prompt} needs variable "${variable.name}"`);
    }
    if (typeof value !== 'string') {
      throw new GatewayError('bad_request', `prompt ${prompt} variable "${variable.name}" must be a string`);
    }
    values.set(variable.name, value);
  }
  return values;
}

/**
 * Fills a template's placeholders with the request's variables (or their defaults). Each value is inserted
 * as plain text in one pass over the parsed template, so a value that contains `{{other}}` stays literal.
 * Throws `bad_request` for an undeclared, missing or non-string variable.
 */
export function renderPrompt(template: PromptTemplate, vars: Record<string, unknown> = {}): RenderedPrompt {
  const values = resolveValues(template, vars);
  const messages = template.messages.map(({ role, segments }) => ({
    role,
    content: segments
      .map((segment) => (segment.kind === 'text' ? segment.text : values.get(segment.name)!))
      .join(''),
  }));
  const parameters = { ...template.parameters };
  if (parameters.stop) parameters.stop = [...parameters.stop];
  const rendered: RenderedPrompt = { name: template.name, version: template.version, messages, parameters };
  if (template.model !== undefined) rendered.model = template.model;
  return rendered;
}
