import type { Tool } from '@anthropic-ai/sdk/resources/messages';
import type { ToolDefinition } from '../../src/spec/chat-request.ts';

/** Turns OpenAI-shaped function tools into Anthropic tool definitions. */
export function convertToAnthropicTools(tools: ToolDefinition[]): Tool[] {
  return tools.map(({ function: definition }) => ({
    name: definition.name,
    ...(definition.description === undefined ? {} : { description: definition.description }),
    // OpenAI lets a tool without parameters omit its schema; Anthropic requires an object schema.
    input_schema: (definition.parameters ?? { type: 'object', properties: {} }) as Tool.InputSchema,
  }));
}
