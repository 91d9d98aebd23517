/** Deeply nested JSON as a hostile client writes it, for the doors' nesting tests. */

/** 3,000 arrays inside one another: some 6 KB, far past any recursion a parser survives. */
export const threeThousandLevels = `${'['.repeat(3000)}${']'.repeat(3000)}`;

/**
 * A chat's JSON text: `head` (an object's opening, up to and including its `messages`) with `nested`
 * (raw JSON) spliced in as a tool's parameters or as `tool_choice`.
 */
export function chatJsonWith(head: string, field: 'parameters' | 'tool_choice', nested: string): string {
  const tool = (parameters: string) =>
    `{"type":"function","function":{"name":"lookup","parameters":${parameters}}}`;
  return field === 'parameters'
    ? `${head},"tools":[${tool(`{"type":"object","deep":${nested}}`)}]}`
    : `${head},"tools":[${tool('{"type":"object"}')}],"tool_choice":${nested}}`;
}

/** A JSON schema of `levels` objects, each the only property of the one around it. */
export function nestedSchema(levels: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let level = 0; level < levels; level++) {
    schema = { type: 'object', properties: { [`level${level}`]: schema }, required: [`level${level}`] };
  }
  return schema;
}
