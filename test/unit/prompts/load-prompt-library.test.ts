import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadPromptLibrary } from '../../../src/prompts/load-prompt-library.ts';

const fixtures = join(import.meta.dirname, '../../fixtures/prompts/library');

const directories: string[] = [];
function promptDirectory(files: Record<string, string>): string {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-prompts-'));
  directories.push(directory);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  return directory;
}

function promptText(name: string, version: number, body = 'Hi'): string {
  return `---\nname: ${name}\nversion: ${version}\ndescription: d\n---\n## user\n${body}\n`;
}

describe('loadPromptLibrary', () => {
  after(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('loads every prompt file of a directory, several versions of one name included', () => {
    const library = loadPromptLibrary(fixtures);
    assert.deepEqual(
      library.list().map(({ name, version, latest }) => `${name}@${version}${latest ? ' (default)' : ''}`),
      ['ask@3 (default)', 'greet@1', 'greet@2 (default)'],
    );
  });

  it('renders a fixture with its model, parameters, escapes and an assistant turn', () => {
    const library = loadPromptLibrary(fixtures);
    assert.deepEqual(library.render({ name: 'greet', version: 1, vars: { person: 'Ada' } }), {
      name: 'greet',
      version: 1,
      model: 'fixture-model',
      parameters: { temperature: 0.5, topP: 0.9, maxTokens: 64, stop: ['END'] },
      messages: [
        { role: 'system', content: 'You are a cheerful assistant. Templates look like {{person}}.' },
        { role: 'user', content: 'Say hello to Ada.' },
        { role: 'assistant', content: 'Hello, Ada!' },
      ],
    });
    assert.deepEqual(library.render({ name: 'greet', vars: { person: 'Ada' } }).messages, [
      { role: 'user', content: 'Hello again, Ada.' },
    ]);
    assert.deepEqual(library.render({ name: 'ask' }).messages, [
      { role: 'user', content: 'What is the capital of France?' },
    ]);
  });

  it('ignores files that are not .md and subdirectories', () => {
    const directory = promptDirectory({ 'hello.md': promptText('hello', 1), 'notes.txt': 'not a prompt' });
    mkdirSync(join(directory, 'drafts.md'));
    assert.deepEqual(
      loadPromptLibrary(directory)
        .list()
        .map((summary) => summary.name),
      ['hello'],
    );
  });

  it('lists every invalid file with its problem in one error', () => {
    const directory = promptDirectory({
      'broken.md': '## user\nHi',
      'good.md': promptText('good', 1),
      'typo.md': promptText('typo', 1, 'Hi {{nmae}}'),
    });
    assert.throws(() => loadPromptLibrary(directory), {
      name: 'ConfigError',
      message: [
        'invalid prompt files:',
        `  ${join(directory, 'broken.md')}:1: a prompt file starts with a "---" line opening its YAML front matter`,
        `  ${join(directory, 'typo.md')}:7: unknown placeholder {{nmae}}; declare "nmae" under variables`,
      ].join('\n'),
    });
  });

  it('refuses two files with the same name and version', () => {
    const directory = promptDirectory({
      'hello.md': promptText('hello', 2),
      'hello.v2.md': promptText('hello', 2),
    });
    assert.throws(() => loadPromptLibrary(directory), {
      name: 'ConfigError',
      message: `prompt "hello" version 2 is defined twice: ${join(directory, 'hello.md')} and ${join(directory, 'hello.v2.md')}`,
    });
  });

  it('refuses a directory it cannot read, naming it', () => {
    const missing = join(tmpdir(), 'sluice-no-such-prompt-directory');
    assert.throws(() => loadPromptLibrary(missing), {
      name: 'ConfigError',
      message: new RegExp(`^cannot read the prompt directory ${missing}: ENOENT`),
    });
  });
});
