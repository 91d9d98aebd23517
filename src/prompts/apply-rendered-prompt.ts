import { GatewayError } from '../errors/gateway-error.ts';
import type { ChatRequest } from '../spec/chat-request.ts';
import type { RenderedPrompt } from './render-prompt.ts';

/**
 * Puts a rendered template into a request: the template's messages first, then the request's own; the
 * request's model and sampling fields win, the template's fill only what the request left out.
 */
export function applyRenderedPrompt(request: ChatRequest, prompt: RenderedPrompt): ChatRequest {
  const model = request.model || prompt.model;
  if (!model) {
    throw new GatewayError(
      'bad_request',
      `model: required (prompt ${JSON.stringify(prompt.name)} names no model of its own)`,
    );
  }
  const applied: ChatRequest = { ...request, model, messages: [...prompt.messages, ...request.messages] };
  const defaults = prompt.parameters;
  if (applied.maxTokens === undefined && defaults.maxTokens !== undefined)
    applied.maxTokens = defaults.maxTokens;
  if (applied.temperature === undefined && defaults.temperature !== undefined) {
    applied.temperature = defaults.temperature;
  }
  if (applied.topP === undefined && defaults.topP !== undefined) applied.topP = defaults.topP;
  if (applied.stop === undefined && defaults.stop !== undefined) applied.stop = [...defaults.stop];
  return applied;
}
