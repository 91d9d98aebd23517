import { ConfigError } from '../errors/config-error.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { PromptTemplate, PromptVariable } from './prompt-template.ts';
import { type RenderedPrompt, renderPrompt } from './render-prompt.ts';

/** What a request's `prompt` field selects: a template by name, a version (the highest when absent), values. */
export interface PromptSelection {
  name: string;
  version?: number | undefined;
  vars?: Record<string, unknown> | undefined;
}

/** One template as a listing shows it. */
export interface PromptSummary {
  name: string;
  version: number;
  description: string;
  variables: PromptVariable[];
  /** Whether this is the version a request without `version` gets. */
  latest: boolean;
}

/** The prompt templates Sluice serves, indexed by name and version. */
export interface PromptLibrary {
  /** Renders the selected template; throws `not_found` for an unknown name or version, `bad_request` for bad variables. */
  render(selection: PromptSelection): RenderedPrompt;
  /** Every template, by name then version. */
  list(): PromptSummary[];
}

function summarize(template: PromptTemplate, latest: boolean): PromptSummary {
  const variables = template.variables.map((variable) => ({ ...variable }));
  return {
    name: template.name,
    version: template.version,
    description: template.description,
    variables,
    latest,
  };
}

/** Indexes parsed templates; two with the same name and version are a ConfigError naming both files. */
export function createPromptLibrary(templates: readonly PromptTemplate[]): PromptLibrary {
  const byName = new Map<string, Map<number, PromptTemplate>>();
  for (const template of templates) {
    const versions = byName.get(template.name) ?? new Map<number, PromptTemplate>();
    const existing = versions.get(template.version);
    if (existing) {
      throw new ConfigError(
        `prompt "${template.name}" version ${template.version} is defined twice: ${existing.source} and ${template.source}`,
      );
    }
    versions.set(template.version, template);
    byName.set(template.name, versions);
  }
  const latestVersion = new Map([...byName].map(([name, versions]) => [name, Math.max(...versions.keys())]));

  return {
    render({ name, version, vars }) {
      const versions = byName.get(name);
      if (!versions) throw new GatewayError('not_found', `unknown prompt ${JSON.stringify(name)}`);
      const template = versions.get(version ?? latestVersion.get(name)!);
      if (!template) {
        throw new GatewayError('not_found', `prompt ${JSON.stringify(name)} has no version ${version}`);
      }
      return renderPrompt(template, vars);
    },
    list() {
      return [...byName.keys()]
        .sort()
        .flatMap((name) =>
          [...byName.get(name)!.values()]
            .sort((left, right) => left.version - right.version)
            .map((template) => summarize(template, template.version === latestVersion.get(name))),
        );
    },
  };
}
