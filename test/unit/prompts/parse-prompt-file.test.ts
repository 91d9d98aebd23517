import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePromptFile } from '../../../src/prompts/parse-prompt-file.ts';

const source = 'prompts/demo.md';

function file(frontMatter: string[], body: string[]): string {
  return ['---', ...frontMatter, '---', ...body].join('\n');
}

const header = ['name: demo', 'version: 1', 'description: A demo.'];

function assertFileError(text: string, message: string, path = source): void {
  assert.throws(() => parsePromptFile(text, path), { name: 'ConfigError', message });
}

describe('parsePromptFile', () => {
  it('reads the front matter and one message per section, trimmed', () => {
    const template = parsePromptFile(
      file(
        [
          ...header,
          'variables:',
          '  text:',
          '    description: The text.',
          '  tone:',
          '    default: calm',
          'model: small',
          'parameters: { temperature: 0.2, top_p: 0.5, max_tokens: 100, stop: ["###"] }',
        ],
        [
          '',
          '## system',
          '',
          '  Be {{tone}}.  ',
          '',
          '## user',
          'Line one',
          '',
          'Line two: {{text}}',
          '',
          '',
        ],
      ),
      source,
    );
    assert.equal(template.name, 'demo');
    assert.equal(template.version, 1);
    assert.equal(template.description, 'A demo.');
    assert.equal(template.model, 'small');
    assert.equal(template.source, source);
    assert.deepEqual(template.variables, [
      { name: 'text', description: 'The text.' },
      { name: 'tone', default: 'calm' },
    ]);
    assert.deepEqual(template.parameters, { temperature: 0.2, topP: 0.5, maxTokens: 100, stop: ['###'] });
    assert.deepEqual(template.messages, [
      {
        role: 'system',
        segments: [
          { kind: 'text', text: 'Be ' },
          { kind: 'variable', name: 'tone', offset: 3 },
          { kind: 'text', text: '.' },
        ],
      },
      {
        role: 'user',
        segments: [
          { kind: 'text', text: 'Line one\n\nLine two: ' },
          { kind: 'variable', name: 'text', offset: 20 },
        ],
      },
    ]);
  });

  it('keeps ### headings, #-lines, ##-without-space and --- rules inside a message', () => {
    const template = parsePromptFile(
      file(header, ['## user', '### Rules', '# one', '##two', '---', 'done']),
      source,
    );
    assert.deepEqual(template.messages, [
      { role: 'user', segments: [{ kind: 'text', text: '### Rules\n# one\n##two\n---\ndone' }] },
    ]);
  });

  it('accepts an assistant section, CRLF line ends and a byte order mark', () => {
    const text = `\uFEFF${file(header, ['## user', 'Hi', '## assistant', 'Hello'])}`.replaceAll('\n', '\r\n');
    const template = parsePromptFile(text, source);
    assert.deepEqual(
      template.messages.map((message) => message.role),
      ['user', 'assistant'],
    );
    assert.deepEqual(template.messages[0]?.segments, [{ kind: 'text', text: 'Hi' }]);
  });

  it('takes a single stop string as a list, no parameters as none, and a bare variable as required', () => {
    const withStop = parsePromptFile(
      file([...header, 'parameters: { stop: END }'], ['## user', 'x']),
      source,
    );
    assert.deepEqual(withStop.parameters, { stop: ['END'] });
    const bare = parsePromptFile(file([...header, 'variables:', '  text:'], ['## user', '{{text}}']), source);
    assert.deepEqual(bare.parameters, {});
    assert.equal(bare.model, undefined);
    assert.deepEqual(bare.variables, [{ name: 'text' }]);
  });

  it('accepts the file names <name>.md and <name>.v<version>.md, and no other', () => {
    const text = file(['name: demo', 'version: 2', 'description: A demo.'], ['## user', 'x']);
    assert.equal(parsePromptFile(text, 'dir/demo.md').version, 2);
    assert.equal(parsePromptFile(text, 'dir/demo.v2.md').version, 2);
    assertFileError(
      text,
      'dir/demo.v1.md: the file of prompt "demo" version 2 must be named demo.md or demo.v2.md',
      'dir/demo.v1.md',
    );
    assertFileError(
      text,
      'dir/other.md: the file of prompt "demo" version 2 must be named demo.md or demo.v2.md',
      'dir/other.md',
    );
  });

  describe('refuses, naming the file and problem', () => {
    it('a file without front matter', () => {
      assertFileError(
        '## user\nHi',
        `${source}:1: a prompt file starts with a "---" line opening its YAML front matter`,
      );
    });

    it('front matter that is never closed', () => {
      assertFileError(
        ['---', ...header, '## user', 'x'].join('\n'),
        `${source}: the front matter has no closing "---" line`,
      );
    });

    it('front matter that is not YAML, with its line in the file', () => {
      assertFileError(
        file(['name: demo', 'version: [1', 'description: A demo.'], ['## user', 'x']),
        `${source}:4: invalid front matter: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      );
      assertFileError(
        file([...header, 'name: again'], ['## user', 'x']),
        `${source}:5: invalid front matter: Map keys must be unique`,
      );
    });

    it('front matter that is not a mapping', () => {
      assertFileError(
        file(['- name'], ['## user', 'x']),
        `${source}: the front matter must be a YAML mapping (name, version, description, ...)`,
      );
    });

    it('missing and unknown front matter fields', () => {
      assertFileError(
        file(['name: demo', 'temprature: 1'], ['## user', 'x']),
        `${source}: invalid front matter: version: required; description: required; (front matter): Unrecognized key: "temprature"`,
      );
    });

    it('a bad version', () => {
      for (const [version, problem] of [
        ['0', 'must be 1 or more'],
        ['1.5', 'must be a whole number'],
        ['"1"', 'Invalid input: expected number, received string'],
      ]) {
        assertFileError(
          file(['name: demo', `version: ${version}`, 'description: A demo.'], ['## user', 'x']),
          `${source}: invalid front matter: version: ${problem}`,
        );
      }
    });

    it('an invalid name', () => {
      for (const name of ['Demo', '-demo', 'de mo', '"demo/x"', 'a'.repeat(65)]) {
        assertFileError(
          file([`name: ${name}`, 'version: 1', 'description: A demo.'], ['## user', 'x']),
          `${source}: invalid front matter: name: must be 1-64 lowercase letters, digits, "-" or "_", starting with a letter or digit`,
        );
      }
    });

    it('an invalid variable name, a non-string default and an unknown variable field', () => {
      assertFileError(
        file([...header, 'variables:', '  bad-name: {}'], ['## user', 'x']),
        `${source}: invalid front matter: variables.bad-name: Invalid key in record`,
      );
      assertFileError(
        file([...header, 'variables:', '  count: { default: 3 }'], ['## user', '{{count}}']),
        `${source}: invalid front matter: variables.count.default: must be a string (quote it)`,
      );
      assertFileError(
        file([...header, 'variables:', '  text: { requried: true }'], ['## user', '{{text}}']),
        `${source}: invalid front matter: variables.text: Unrecognized key: "requried"`,
      );
    });

    it('parameters outside the protocol limits or unknown', () => {
      assertFileError(
        file([...header, 'parameters: { temperature: 3, topP: 1 }'], ['## user', 'x']),
        `${source}: invalid front matter: parameters.temperature: Too big: expected number to be <=2; parameters: Unrecognized key: "topP"`,
      );
    });

    it('an unknown heading, with its line', () => {
      assertFileError(
        file(header, ['## user', 'x', '## System', 'y']),
        `${source}:8: unknown heading "## System"; a message starts with "## system", "## user" or "## assistant" (use ### for headings inside a message)`,
      );
      assertFileError(
        file(header, ['## user', 'x', '##', 'y']),
        `${source}:8: unknown heading "##"; a message starts with "## system", "## user" or "## assistant" (use ### for headings inside a message)`,
      );
    });

    it('text before the first message', () => {
      assertFileError(
        file(header, ['', '# Title', '## user', 'x']),
        `${source}:7: text before the first "## system", "## user" or "## assistant"`,
      );
    });

    it('a file without messages, and an empty message', () => {
      assertFileError(
        file(header, ['', '']),
        `${source}: no messages; add a "## user" (or "## system") section after the front matter`,
      );
      assertFileError(
        file(header, ['## system', '  ', '## user', 'x']),
        `${source}:6: "## system" has no text`,
      );
    });

    it('a placeholder the front matter does not declare, with its line', () => {
      assertFileError(
        file([...header, 'variables:', '  text:'], ['## user', '', 'Read this:', '{{text}} and {{ txt }}']),
        `${source}:11: unknown placeholder {{txt}}; declare "txt" under variables`,
      );
    });

    it('a malformed placeholder, with its line', () => {
      assertFileError(
        file(header, ['## system', 'ok', '', '## user', 'one', 'two {{ oops }']),
        `${source}:11: malformed placeholder "{{ oops }"; a placeholder is {{name}}, and {{{{ writes a literal {{`,
      );
    });

    it('a declared variable no message uses', () => {
      assertFileError(
        file([...header, 'variables:', '  text:', '  extra: { default: x }'], ['## user', '{{text}}']),
        `${source}: variable "extra" is declared but no message uses {{extra}}`,
      );
    });
  });
});
