import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Authenticator } from './create-authenticator.ts';
import { type CredentialSource, extractCredential } from './extract-credential.ts';
import type { Identity } from './identity.ts';

const malformedMessages: Record<CredentialSource, string> = {
  header: 'malformed credential: the Authorization header must be "Bearer <token>"',
  subprotocol: 'malformed credential: empty bearer. subprotocol',
  query: 'malformed credential: empty access_token',
};

/** Authenticates an HTTP request or WebSocket upgrade; a malformed credential is refused, never treated as absent. */
export async function authenticateRequest(
  authenticator: Authenticator,
  request: IncomingMessage,
): Promise<Identity> {
  const credential = extractCredential(request);
  if (credential?.kind === 'malformed') {
    throw new GatewayError('unauthorized', malformedMessages[credential.source]);
  }
  return authenticator.authenticate(credential?.token);
}
