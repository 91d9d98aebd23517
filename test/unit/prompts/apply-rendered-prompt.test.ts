import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyRenderedPrompt } from '../../../src/prompts/apply-rendered-prompt.ts';
import type { RenderedPrompt } from '../../../src/prompts/render-prompt.ts';
import type { ChatRequest } from '../../../src/spec/chat-request.ts';

const prompt: RenderedPrompt = {
  name: 'summarize',
  version: 2,
  model: 'template-model',
  parameters: { temperature: 0.3, topP: 0.8, maxTokens: 200, stop: ['END'] },
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Summarize: x' },
  ],
};

describe('applyRenderedPrompt', () => {
  it("puts the template's messages before the request's own", () => {
    const request: ChatRequest = {
      id: '1',
      model: 'fast',
      messages: [{ role: 'user', content: 'Shorter.' }],
    };
    assert.deepEqual(applyRenderedPrompt(request, prompt).messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Summarize: x' },
      { role: 'user', content: 'Shorter.' },
    ]);
  });

  it("keeps the request's model and sampling fields, filling only what it left out", () => {
    const request: ChatRequest = { id: '1', model: 'fast', messages: [], temperature: 0, stop: ['STOP'] };
    const applied = applyRenderedPrompt(request, prompt);
    assert.equal(applied.model, 'fast');
    assert.equal(applied.temperature, 0);
    assert.deepEqual(applied.stop, ['STOP']);
    assert.equal(applied.topP, 0.8);
    assert.equal(applied.maxTokens, 200);
  });

  it("uses the template's model when the request names none", () => {
    const applied = applyRenderedPrompt({ id: '1', model: '', messages: [] }, prompt);
    assert.equal(applied.model, 'template-model');
  });

  it('refuses a request without a model when the template names none', () => {
    const withoutModel: RenderedPrompt = { ...prompt, model: undefined };
    assert.throws(() => applyRenderedPrompt({ id: '1', model: '', messages: [] }, withoutModel), {
      name: 'GatewayError',
      code: 'bad_request',
      message: 'model: required (prompt "summarize" names no model of its own)',
    });
  });

  it('adds no sampling field that neither the request nor the template sets', () => {
    const bare: RenderedPrompt = { name: 'bare', version: 1, parameters: {}, messages: [] };
    const applied = applyRenderedPrompt({ id: '1', model: 'fast', messages: [], metadata: { a: 1 } }, bare);
    assert.deepEqual(applied, { id: '1', model: 'fast', messages: [], metadata: { a: 1 } });
  });
});
