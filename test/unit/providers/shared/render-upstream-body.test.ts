import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bodyTemplateSchema,
  chatBodyTemplate,
  renderUpstreamBody,
} from '../../../../providers/shared/render-upstream-body.ts';
import type { ProviderRequest } from '../../../../src/spec/chat-request.ts';

const request: ProviderRequest = {
  model: 'upstream-model',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello!', toolCalls: [] },
    { role: 'user', content: 'Again?' },
  ],
  maxTokens: 64,
  temperature: 0.2,
};

describe('renderUpstreamBody', () => {
  test('fills the chat template with the set values and leaves the unset ones out', () => {
    assert.deepEqual(renderUpstreamBody(chatBodyTemplate, request), {
      model: 'upstream-model',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'Again?' },
      ],
      max_tokens: 64,
      temperature: 0.2,
    });
  });

  test('reshapes the body: nested members, literals, arrays and the last user message', () => {
    const template = bodyTemplateSchema.parse({
      input: { prompt: '{{ last_user_message }}', history: '{{messages}}' },
      parameters: { max_new_tokens: '{{max_tokens}}', top_p: '{{top_p}}', stop: '{{stop}}' },
      tags: ['fixed', '{{model}}', '{{top_p}}'],
      stream: true,
      note: 'plain text stays as it is',
    });
    const rendered = renderUpstreamBody(template, { ...request, topP: 0.9, stop: ['\n\n'] }) as Record<
      string,
      unknown
    >;
    assert.deepEqual(rendered.input, {
      prompt: 'Again?',
      history: renderUpstreamBody('{{messages}}', request),
    });
    assert.deepEqual(rendered.parameters, { max_new_tokens: 64, top_p: 0.9, stop: ['\n\n'] });
    assert.deepEqual(rendered.tags, ['fixed', 'upstream-model', 0.9]);
    assert.equal(rendered.stream, true);
    assert.equal(rendered.note, 'plain text stays as it is');
  });

  test('treats an empty stop list as no stop list', () => {
    assert.equal(renderUpstreamBody('{{stop}}', { ...request, stop: [] }), undefined);
  });

  test('a template that is one placeholder renders to that value alone', () => {
    assert.equal(renderUpstreamBody('{{last_user_message}}', request), 'Again?');
  });
});

describe('bodyTemplateSchema', () => {
  test('refuses unknown placeholders and placeholders inside longer strings, naming the path', () => {
    for (const [template, path] of [
      [{ model: '{{modle}}' }, ['model']],
      [{ input: ['Say: {{last_user_message}}'] }, ['input', 0]],
    ] as const) {
      const result = bodyTemplateSchema.safeParse(template);
      assert.equal(result.success, false);
      assert.deepEqual(result.error?.issues[0]?.path, path);
      assert.match(result.error?.issues[0]?.message ?? '', /\{\{model\}\}/);
    }
  });

  test('accepts any JSON without placeholders', () => {
    assert.equal(bodyTemplateSchema.safeParse({ a: [1, null, true, { b: 'c' }] }).success, true);
  });
});
