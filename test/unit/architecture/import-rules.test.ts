import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const root = resolve(import.meta.dirname, '../../..');

/**
 * Which top-level folder of `src/` may import which (besides itself): the layering of the picture in
 * issue 17. Leaves first; a row names only folders above it in this list, so no cycle can form.
 * `src/server/` and `src/main.ts` are the composition roots and may import anything.
 */
const mayImport: Record<string, readonly string[]> = {
  errors: [],
  log: [],
  spec: ['errors'],
  usage: ['spec'],
  store: ['errors'],
  auth: ['errors'],
  metrics: ['spec'],
  tracing: ['log'],
  wire: ['errors', 'log', 'spec'],
  resume: ['errors', 'store'],
  cache: ['errors', 'resume', 'spec'],
  hooks: ['auth', 'errors', 'spec'],
  prompts: ['errors', 'log', 'spec'],
  routing: ['cache', 'errors', 'log', 'spec'],
  quota: ['auth', 'errors', 'log', 'spec', 'store', 'usage'],
  // Each module owns the schema of its own config block; config/ only assembles them.
  config: ['auth', 'cache', 'errors', 'hooks', 'quota', 'routing', 'spec', 'tracing'],
  pipeline: [
    'auth',
    'cache',
    'config',
    'errors',
    'hooks',
    'log',
    'prompts',
    'quota',
    'routing',
    'spec',
    'store',
    'tracing',
    'usage',
  ],
  'http-door': ['auth', 'errors', 'log', 'metrics', 'pipeline', 'spec', 'store', 'wire'],
  'ws-door': ['auth', 'config', 'errors', 'log', 'pipeline', 'resume', 'spec', 'wire'],
};

/** Files of `src/` that providers may use besides `src/spec/` and `src/errors/`: the demo counts its tokens. */
const srcFilesProvidersUse = new Set(['src/usage/count-tokens.ts', 'src/usage/o200k-tokenizer.ts']);

/** One import: the file that has it and what it names, resolved to a path from the root when relative. */
interface Import {
  from: string;
  target: string;
}

/** Every `.ts` file under `directory`, as paths from the repository root. */
function typeScriptFiles(directory: string): string[] {
  return readdirSync(join(root, directory), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(directory, name))
    .sort();
}

// Static imports and re-exports (over several lines too) and dynamic `import('...')`.
const importPattern =
  /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
const sideEffectImportPattern = /^\s*import\s*['"]([^'"]+)['"]/gm;

/** The relative imports of one file's text, with comments left out (a doc comment may show an import). */
function readImports(file: string, text: string): Import[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specifiers = [
    ...[...code.matchAll(importPattern)].map((match) => match[1] ?? match[2]!),
    ...[...code.matchAll(sideEffectImportPattern)].map((match) => match[1]!),
  ];
  return specifiers
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => ({ from: file, target: relative(root, resolve(root, dirname(file), specifier)) }));
}

const files = [...typeScriptFiles('src'), ...typeScriptFiles('providers')];
const imports = files.flatMap((file) => readImports(file, readFileSync(join(root, file), 'utf8')));

/** The top-level folder of `src/` a path is in (`pipeline`), the file itself for `src/main.ts`, else undefined. */
function srcFolderOf(path: string): string | undefined {
  const parts = path.split('/');
  if (parts[0] !== 'src') return undefined;
  return parts.length > 2 ? parts[1] : parts[1]!.replace(/\.ts$/, '');
}

const describeImport = ({ from, target }: Import) => `${from} imports ${target}`;

describe('import rules', () => {
  it('reads static, re-exported, multi-line and dynamic imports, and none inside comments', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type {\n  B,\n  C,\n} from '../b/c.ts';",
      "export { d } from './d.ts';",
      "import './side-effect.ts';",
      "const { e } = await import('./e.ts');",
      "/**\n * import type { F } from './f.ts';\n */",
      "// import { g } from './g.ts';",
      "import { h } from 'zod';",
    ].join('\n');
    assert.deepEqual(
      readImports('src/x/file.ts', text)
        .map((found) => found.target)
        .sort(),
      ['src/b/c.ts', 'src/x/a.ts', 'src/x/d.ts', 'src/x/e.ts', 'src/x/side-effect.ts'],
    );
  });

  it('finds every relative import it reads on disk, so no rule passes for want of imports', () => {
    assert.ok(imports.length > 300, `only ${imports.length} imports read`);
    assert.deepEqual(imports.filter(({ target }) => !existsSync(join(root, target))).map(describeImport), []);
  });

  it('has a row for every top-level folder of src/', () => {
    const folders = readdirSync(join(root, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'server')
      .map((entry) => entry.name)
      .sort();
    assert.deepEqual(folders, Object.keys(mayImport).sort());
  });

  for (const [folder, allowed] of Object.entries(mayImport)) {
    const rule =
      allowed.length === 0
        ? `keeps src/${folder}/ from importing any other folder`
        : `lets src/${folder}/ import only ${allowed.map((name) => `${name}/`).join(', ')}`;
    it(rule, () => {
      const wrong = imports.filter(({ from, target }) => {
        if (srcFolderOf(from) !== folder) return false;
        if (target.startsWith('providers/')) return true;
        const to = srcFolderOf(target);
        return to !== folder && !allowed.includes(to!);
      });
      assert.deepEqual(wrong.map(describeImport), []);
    });
  }

  it('keeps config/ from importing providers/ or pipeline/', () => {
    const wrong = imports.filter(
      ({ from, target }) =>
        from.startsWith('src/config/') &&
        (target.startsWith('providers/') || target.startsWith('src/pipeline/')),
    );
    assert.deepEqual(wrong.map(describeImport), []);
  });

  it('keeps store/ to the usage stores: it never imports quota/, pipeline/, cache/ or resume/', () => {
    const wrong = imports.filter(
      ({ from, target }) =>
        from.startsWith('src/store/') &&
        ['quota', 'pipeline', 'cache', 'resume'].includes(srcFolderOf(target) ?? ''),
    );
    assert.deepEqual(wrong.map(describeImport), []);
  });

  it('lets providers/ import only providers/, src/spec/, src/errors/ and the token counter', () => {
    const wrong = imports.filter(
      ({ from, target }) =>
        from.startsWith('providers/') &&
        !target.startsWith('providers/') &&
        !target.startsWith('src/spec/') &&
        !target.startsWith('src/errors/') &&
        !srcFilesProvidersUse.has(target),
    );
    assert.deepEqual(wrong.map(describeImport), []);
  });

  it('makes src/server/ and src/main.ts the only composition roots: nothing else imports them or the provider list', () => {
    const roots = (path: string) => path.startsWith('src/server/') || path === 'src/main.ts';
    const wrong = imports.filter(
      ({ from, target }) => !roots(from) && (roots(target) || target === 'providers/index.ts'),
    );
    assert.deepEqual(wrong.map(describeImport), []);
  });

  it('has no import cycle between the top-level folders of src/', () => {
    const graph = new Map<string, Set<string>>();
    for (const { from, target } of imports) {
      const [source, destination] = [srcFolderOf(from), srcFolderOf(target)];
      if (source === undefined || destination === undefined || source === destination) continue;
      graph.set(source, (graph.get(source) ?? new Set()).add(destination));
    }
    const done = new Set<string>();
    const path: string[] = [];
    const findCycle = (folder: string): string[] | undefined => {
      const at = path.indexOf(folder);
      if (at >= 0) return [...path.slice(at), folder];
      if (done.has(folder)) return undefined;
      path.push(folder);
      for (const next of graph.get(folder) ?? []) {
        const cycle = findCycle(next);
        if (cycle) return cycle;
      }
      path.pop();
      done.add(folder);
      return undefined;
    };
    for (const folder of graph.keys()) {
      const cycle = findCycle(folder);
      assert.equal(cycle, undefined, `a cycle: ${cycle?.join(' → ')}`);
    }
  });
});
