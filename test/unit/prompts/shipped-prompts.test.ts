import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadPromptLibrary } from '../../../src/prompts/load-prompt-library.ts';

const shipped = join(import.meta.dirname, '../../../prompts');

const examples: Record<string, Record<string, string>> = {
  summarize: { text: 'Sluice is a streaming LLM gateway.' },
  translate: { text: 'Good morning', target_language: 'French' },
  'code-review': { code: 'function add(a, b) { return a - b; }' },
};

describe('the shipped prompts', () => {
  it('all load, and every example is there', () => {
    const names = new Set(
      loadPromptLibrary(shipped)
        .list()
        .map((summary) => summary.name),
    );
    assert.deepEqual([...names].sort(), Object.keys(examples).sort());
  });

  it('every version renders with example values, the value inside the user message', () => {
    const library = loadPromptLibrary(shipped);
    for (const { name, version, description } of library.list()) {
      assert.ok(description.length > 0, `${name}@${version} has a description`);
      const vars = examples[name]!;
      const rendered = library.render({ name, version, vars });
      const user = rendered.messages.find((message) => message.role === 'user');
      assert.ok(user, `${name}@${version} has a user message`);
      for (const value of Object.values(vars)) assert.ok(user.content.includes(value), `${name}@${version}`);
      for (const message of rendered.messages) {
        assert.doesNotMatch(message.content, /\{\{|\}\}/, `${name}@${version} leaves no placeholder behind`);
      }
    }
  });

  it('serves version 2 of summarize by default, and version 1 on request', () => {
    const library = loadPromptLibrary(shipped);
    assert.equal(library.render({ name: 'summarize', vars: examples.summarize }).version, 2);
    const first = library.render({ name: 'summarize', version: 1, vars: examples.summarize });
    assert.match(
      first.messages.at(-1)!.content,
      /^Summarize the following text in at most three sentences\./,
    );
  });
});
