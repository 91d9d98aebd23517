import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTemplateText, TemplateSyntaxError } from '../../../src/prompts/parse-template-text.ts';

describe('parseTemplateText', () => {
  it('splits text and placeholders', () => {
    assert.deepEqual(parseTemplateText('Hi {{name}}, bye.'), [
      { kind: 'text', text: 'Hi ' },
      { kind: 'variable', name: 'name', offset: 3 },
      { kind: 'text', text: ', bye.' },
    ]);
  });

  it('allows spaces and tabs inside the braces', () => {
    assert.deepEqual(parseTemplateText('{{ a }}{{\tb\t}}{{c  }}'), [
      { kind: 'variable', name: 'a', offset: 0 },
      { kind: 'variable', name: 'b', offset: 7 },
      { kind: 'variable', name: 'c', offset: 14 },
    ]);
  });

  it('reads {{{{ and }}}} as literal {{ and }}', () => {
    assert.deepEqual(parseTemplateText('write {{{{name}}}} for {{name}}'), [
      { kind: 'text', text: 'write {{name}} for ' },
      { kind: 'variable', name: 'name', offset: 23 },
    ]);
  });

  it('reads }}}} right after a placeholder as a literal }}', () => {
    assert.deepEqual(parseTemplateText('{{x}}}}}}'), [
      { kind: 'variable', name: 'x', offset: 0 },
      { kind: 'text', text: '}}' },
    ]);
  });

  it('keeps single braces and a lone }} as they are', () => {
    assert.deepEqual(parseTemplateText('{"a": {"b": 1}} {x}'), [
      { kind: 'text', text: '{"a": {"b": 1}} {x}' },
    ]);
  });

  it('refuses a {{ that does not open a placeholder, quoting it and saying how to escape', () => {
    for (const [text, snippet, offset] of [
      ['a {{ two words }} b', '{{ two words }}', 2],
      ['{{}}', '{{}}', 0],
      ['x {{name}', '{{name}', 2],
      ['{{{name}}}', '{{{name}}', 0],
      ['{{1st}}', '{{1st}}', 0],
      ['{{na\nme}}', '{{na', 0],
    ] as const) {
      assert.throws(
        () => parseTemplateText(text),
        (error: unknown) => {
          assert.ok(error instanceof TemplateSyntaxError);
          assert.equal(
            error.message,
            `malformed placeholder "${snippet}"; a placeholder is {{name}}, and {{{{ writes a literal {{`,
          );
          assert.equal(error.offset, offset);
          return true;
        },
        text,
      );
    }
  });
});
