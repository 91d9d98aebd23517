import type { Config } from '../config/schema.ts';
import { createRouter } from '../routing/resolve-route.ts';
import type { ChatRequest } from '../spec/chat-request.ts';
import { createProviders } from './create-providers.ts';
import type { GatewayEvent } from './gateway-event.ts';
import { type ChatContext, runChat } from './run-chat.ts';

/** The one pipeline both doors run requests through. */
export interface Gateway {
  runChat(request: ChatRequest, context: ChatContext): AsyncGenerator<GatewayEvent>;
  /** The model names a client may ask for. */
  modelNames(): string[];
}

/** Wires config into a gateway: adapters per provider, a router over the model routes. */
export function createGateway(config: Config): Gateway {
  const router = createRouter(config, createProviders(config));
  return {
    runChat: (request, context) => runChat(request, context, router),
    modelNames: () => router.modelNames(),
  };
}
