import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePromptFile } from '../../../src/prompts/parse-prompt-file.ts';
import { renderPrompt } from '../../../src/prompts/render-prompt.ts';

const template = parsePromptFile(
  [
    '---',
    'name: note',
    'version: 4',
    'description: Writes a note.',
    'variables:',
    '  topic:',
    '  other:',
    '  tone: { default: "dry {{topic}}" }',
    'model: writer',
    'parameters: { temperature: 0.7, stop: [END] }',
    '---',
    '## system',
    'Tone: {{ tone }}. Syntax: {{{{topic}}}}.',
    '## user',
    'Write about {{topic}} and {{other}}.',
  ].join('\n'),
  'prompts/note.md',
);

function assertBadRequest(vars: Record<string, unknown>, message: string): void {
  assert.throws(() => renderPrompt(template, vars), { name: 'GatewayError', code: 'bad_request', message });
}

describe('renderPrompt', () => {
  it('fills placeholders with the request values and the defaults, and carries the template defaults', () => {
    assert.deepEqual(renderPrompt(template, { topic: 'owls', other: 'bats' }), {
      name: 'note',
      version: 4,
      model: 'writer',
      parameters: { temperature: 0.7, stop: ['END'] },
      messages: [
        { role: 'system', content: 'Tone: dry {{topic}}. Syntax: {{topic}}.' },
        { role: 'user', content: 'Write about owls and bats.' },
      ],
    });
  });

  it('lets a request value replace a default, even with an empty string', () => {
    const rendered = renderPrompt(template, { topic: 'owls', other: 'bats', tone: '' });
    assert.equal(rendered.messages[0]?.content, 'Tone: . Syntax: {{topic}}.');
  });

  it('inserts values as plain text, never reading them as template syntax', () => {
    const rendered = renderPrompt(template, {
      topic: '{{other}} {{{{ }}}} {{ tone }}',
      other: 'x',
      tone: '{{topic}}',
    });
    assert.equal(rendered.messages[0]?.content, 'Tone: {{topic}}. Syntax: {{topic}}.');
    assert.equal(rendered.messages[1]?.content, 'Write about {{other}} {{{{ }}}} {{ tone }} and x.');
  });

  it('inserts values with $-patterns, newlines and markdown headings unchanged', () => {
    const value = "$& $1 $' $`\n## system\n\\n";
    const rendered = renderPrompt(template, { topic: value, other: '' });
    assert.equal(rendered.messages[1]?.content, `Write about ${value} and .`);
    assert.equal(rendered.messages.length, 2);
  });

  it('gives every render its own parameters', () => {
    const first = renderPrompt(template, { topic: 'a', other: 'b' });
    first.parameters.stop?.push('changed');
    first.parameters.temperature = 0;
    assert.deepEqual(renderPrompt(template, { topic: 'a', other: 'b' }).parameters, {
      temperature: 0.7,
      stop: ['END'],
    });
  });

  it('refuses a missing required variable, naming it', () => {
    assertBadRequest({ topic: 'owls' }, 'prompt "note" needs variable "other"');
    assertBadRequest({}, 'prompt "note" needs variable "topic"');
  });

  it('refuses a variable the template does not declare, naming it', () => {
    assertBadRequest({ topic: 'a', other: 'b', colour: 'red' }, 'prompt "note" has no variable "colour"');
    assertBadRequest(JSON.parse('{"__proto__": "x"}'), 'prompt "note" has no variable "__proto__"');
  });

  it('refuses a value that is not a string, naming the variable', () => {
    for (const value of [3, true, null, ['a'], { a: 1 }]) {
      assertBadRequest({ topic: 'a', other: value }, 'prompt "note" variable "other" must be a string');
    }
  });
});
