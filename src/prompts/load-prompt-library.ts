import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors/config-error.ts';
import { createPromptLibrary, type PromptLibrary } from './create-prompt-library.ts';
import { parsePromptFile } from './parse-prompt-file.ts';
import type { PromptTemplate } from './prompt-template.ts';

/**
 * Reads and checks every `*.md` file of a directory once, at start-up. Throws one ConfigError listing every
 * bad file (name, line and problem), so an operator fixes them all in one go.
 */
export function loadPromptLibrary(directory: string): PromptLibrary {
  let fileNames: string[];
  try {
    fileNames = readdirSync(directory, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    throw new ConfigError(`cannot read the prompt directory ${directory}: ${(error as Error).message}`);
  }
  const templates: PromptTemplate[] = [];
  const problems: string[] = [];
  for (const fileName of fileNames) {
    const path = join(directory, fileName);
    try {
      templates.push(parsePromptFile(readFileSync(path, 'utf8'), path));
    } catch (error) {
      problems.push(error instanceof ConfigError ? error.message : `${path}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`invalid prompt files:\n  ${problems.join('\n  ')}`);
  return createPromptLibrary(templates);
}
