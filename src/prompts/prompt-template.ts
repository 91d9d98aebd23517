import type { SamplingParameters } from '../spec/chat-request.ts';
import type { TemplateSegment } from './parse-template-text.ts';

/** A variable a template declares; one without a default is required. */
export interface PromptVariable {
  name: string;
  description?: string;
  default?: string;
}

/** One message of a template, already split into text and placeholders. */
export interface TemplateMessage {
  role: 'system' | 'user' | 'assistant';
  segments: TemplateSegment[];
}

/** A prompt file, parsed and checked once at start-up. */
export interface PromptTemplate {
  name: string;
  version: number;
  description: string;
  variables: PromptVariable[];
  /** Used when the request names no model. */
  model?: string;
  /** Defaults under the request's own sampling fields. */
  parameters: SamplingParameters;
  messages: TemplateMessage[];
  /** The file it came from, for error messages. */
  source: string;
}
