import { basename } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors/config-error.ts';
import type { SamplingParameters } from '../spec/chat-request.ts';
import { parseTemplateText, TemplateSyntaxError } from './parse-template-text.ts';
import { type PromptFrontMatter, promptFrontMatterSchema } from './prompt-front-matter-schema.ts';
import type { PromptTemplate, PromptVariable, TemplateMessage } from './prompt-template.ts';

const roles = new Set<string>(['system', 'user', 'assistant']);
// `## ` starts a message; `###` and deeper stay inside the message, so messages may use Markdown headings.
const headingPattern = /^##(?:[ \t]+(.*?))?[ \t]*$/;
const fenceLine = /^---[ \t]*$/;

function lineOf(text: string, offset: number): number {
  let line = 0;
  for (
    let index = text.indexOf('\n');
    index !== -1 && index < offset;
    index = text.indexOf('\n', index + 1)
  ) {
    line += 1;
  }
  return line;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.') || '(front matter)';
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  return `${path}: ${missing ? 'required' : issue.message}`;
}

function readFrontMatter(
  lines: string[],
  source: string,
): { frontMatter: PromptFrontMatter; bodyStart: number } {
  if (!fenceLine.test(lines[0] ?? '')) {
    throw new ConfigError(
      `${source}:1: a prompt file starts with a "---" line opening its YAML front matter`,
    );
  }
  const close = lines.findIndex((line, index) => index > 0 && fenceLine.test(line));
  if (close === -1) throw new ConfigError(`${source}: the front matter has no closing "---" line`);
  const yamlText = lines.slice(1, close).join('\n');
  let raw: unknown;
  try {
    raw = parseYaml(yamlText, { prettyErrors: false });
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error;
    const line = lineOf(yamlText, error.pos[0]) + 2;
    throw new ConfigError(`${source}:${line}: invalid front matter: ${error.message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(
      `${source}: the front matter must be a YAML mapping (name, version, description, ...)`,
    );
  }
  const result = promptFrontMatterSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(describeIssue).join('; ');
    throw new ConfigError(`${source}: invalid front matter: ${problems}`);
  }
  return { frontMatter: result.data, bodyStart: close + 1 };
}

interface RawSection {
  role: TemplateMessage['role'];
  /** The 1-based file line of the heading. */
  headingLine: number;
  lines: string[];
}

function splitSections(lines: string[], bodyStart: number, source: string): RawSection[] {
  const sections: RawSection[] = [];
  for (let index = bodyStart; index < lines.length; index += 1) {
    const line = lines[index]!;
    const heading = headingPattern.exec(line);
    if (heading) {
      const title = heading[1] ?? '';
      if (!roles.has(title)) {
        throw new ConfigError(
          `${source}:${index + 1}: unknown heading "${line.trim()}"; a message starts with "## system", "## user" or "## assistant" (use ### for headings inside a message)`,
        );
      }
      sections.push({ role: title as RawSection['role'], headingLine: index + 1, lines: [] });
    } else if (sections.length > 0) {
      sections.at(-1)!.lines.push(line);
    } else if (line.trim() !== '') {
      throw new ConfigError(
        `${source}:${index + 1}: text before the first "## system", "## user" or "## assistant"`,
      );
    }
  }
  if (sections.length === 0) {
    throw new ConfigError(
      `${source}: no messages; add a "## user" (or "## system") section after the front matter`,
    );
  }
  return sections;
}

function compileSection(section: RawSection, declared: Set<string>, used: Set<string>, source: string) {
  const joined = section.lines.join('\n');
  const content = joined.trim();
  if (content === '')
    throw new ConfigError(`${source}:${section.headingLine}: "## ${section.role}" has no text`);
  // File line of the content's first character, so errors point at the right line.
  const firstLine = section.headingLine + 1 + lineOf(joined, joined.indexOf(content));
  try {
    const segments = parseTemplateText(content);
    for (const segment of segments) {
      if (segment.kind !== 'variable') continue;
      if (!declared.has(segment.name)) {
        throw new TemplateSyntaxError(
          `unknown placeholder {{${segment.name}}}; declare "${segment.name}" under variables`,
          segment.offset,
        );
      }
      used.add(segment.name);
    }
    return { role: section.role, segments };
  } catch (error) {
    if (!(error instanceof TemplateSyntaxError)) throw error;
    throw new ConfigError(`${source}:${firstLine + lineOf(content, error.offset)}: ${error.message}`);
  }
}

function toParameters(parameters: PromptFrontMatter['parameters']): SamplingParameters {
  const converted: SamplingParameters = {};
  if (parameters?.temperature !== undefined) converted.temperature = parameters.temperature;
  if (parameters?.top_p !== undefined) converted.topP = parameters.top_p;
  if (parameters?.max_tokens !== undefined) converted.maxTokens = parameters.max_tokens;
  if (parameters?.stop !== undefined) converted.stop = parameters.stop;
  return converted;
}

function toVariables(variables: PromptFrontMatter['variables']): PromptVariable[] {
  return Object.entries(variables).map(([name, spec]) => {
    const variable: PromptVariable = { name };
    if (spec.description !== undefined) variable.description = spec.description;
    if (spec.default !== undefined) variable.default = spec.default;
    return variable;
  });
}

/**
 * Parses one prompt file (YAML front matter, then `## system` / `## user` / `## assistant` sections), checking
 * everything a request could not fix: the file name, every placeholder declared, every variable used.
 * Throws a ConfigError that names the file, the line when there is one, and the problem.
 */
export function parsePromptFile(text: string, source: string): PromptTemplate {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const { frontMatter, bodyStart } = readFrontMatter(lines, source);
  const { name, version } = frontMatter;
  const fileName = basename(source);
  if (fileName !== `${name}.md` && fileName !== `${name}.v${version}.md`) {
    throw new ConfigError(
      `${source}: the file of prompt "${name}" version ${version} must be named ${name}.md or ${name}.v${version}.md`,
    );
  }
  const declared = new Set(Object.keys(frontMatter.variables));
  const used = new Set<string>();
  const messages = splitSections(lines, bodyStart, source).map((section) =>
    compileSection(section, declared, used, source),
  );
  const unused = [...declared].filter((variable) => !used.has(variable));
  if (unused.length > 0) {
    throw new ConfigError(
      `${source}: variable "${unused[0]}" is declared but no message uses {{${unused[0]}}}`,
    );
  }
  const template: PromptTemplate = {
    name,
    version,
    description: frontMatter.description,
    variables: toVariables(frontMatter.variables),
    parameters: toParameters(frontMatter.parameters),
    messages,
    source,
  };
  if (frontMatter.model !== undefined) template.model = frontMatter.model;
  return template;
}
