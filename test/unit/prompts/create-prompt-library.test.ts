import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPromptLibrary } from '../../../src/prompts/create-prompt-library.ts';
import { parsePromptFile } from '../../../src/prompts/parse-prompt-file.ts';

function template(name: string, version: number, fileName = `${name}.v${version}.md`) {
  return parsePromptFile(
    [
      '---',
      `name: ${name}`,
      `version: ${version}`,
      `description: ${name} v${version}`,
      'variables: { who: { description: Who., default: you } }',
      '---',
      '## user',
      `v${version} for {{who}}`,
    ].join('\n'),
    `prompts/${fileName}`,
  );
}

const library = createPromptLibrary([
  template('hello', 1),
  template('hello', 10),
  template('hello', 2),
  template('bye', 1),
]);

describe('createPromptLibrary', () => {
  it('renders the highest version when the request names none', () => {
    const rendered = library.render({ name: 'hello' });
    assert.equal(rendered.version, 10);
    assert.deepEqual(rendered.messages, [{ role: 'user', content: 'v10 for you' }]);
  });

  it('renders the version the request names, with its variables', () => {
    const rendered = library.render({ name: 'hello', version: 2, vars: { who: 'Ada' } });
    assert.equal(rendered.version, 2);
    assert.deepEqual(rendered.messages, [{ role: 'user', content: 'v2 for Ada' }]);
  });

  it('answers not_found for an unknown prompt, naming it', () => {
    assert.throws(() => library.render({ name: 'nope' }), {
      name: 'GatewayError',
      code: 'not_found',
      status: 404,
      message: 'unknown prompt "nope"',
    });
  });

  it('answers not_found for an unknown version, naming prompt and version', () => {
    assert.throws(() => library.render({ name: 'hello', version: 3 }), {
      name: 'GatewayError',
      code: 'not_found',
      message: 'prompt "hello" has no version 3',
    });
  });

  it('does not take inherited object keys for prompt names', () => {
    assert.throws(() => library.render({ name: 'constructor' }), { code: 'not_found' });
  });

  it('lists every template by name then version, marking the default one', () => {
    assert.deepEqual(
      library.list().map(({ name, version, latest }) => ({ name, version, latest })),
      [
        { name: 'bye', version: 1, latest: true },
        { name: 'hello', version: 1, latest: false },
        { name: 'hello', version: 2, latest: false },
        { name: 'hello', version: 10, latest: true },
      ],
    );
    assert.deepEqual(library.list()[0], {
      name: 'bye',
      version: 1,
      description: 'bye v1',
      variables: [{ name: 'who', description: 'Who.', default: 'you' }],
      latest: true,
    });
  });

  it('refuses two templates with the same name and version, naming both files', () => {
    assert.throws(() => createPromptLibrary([template('hello', 1, 'hello.md'), template('hello', 1)]), {
      name: 'ConfigError',
      message: 'prompt "hello" version 1 is defined twice: prompts/hello.md and prompts/hello.v1.md',
    });
  });

  it('serves nothing when it has no templates', () => {
    const empty = createPromptLibrary([]);
    assert.deepEqual(empty.list(), []);
    assert.throws(() => empty.render({ name: 'hello' }), {
      code: 'not_found',
      message: 'unknown prompt "hello"',
    });
  });
});
