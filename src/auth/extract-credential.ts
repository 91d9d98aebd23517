import type { IncomingMessage } from 'node:http';

/** Where a credential was found, in the order docs/protocol.md gives. */
export type CredentialSource = 'header' | 'subprotocol' | 'query';

/**
 * What a request carries: a token, or a credential that is there but unusable (an Authorization
 * header that is not `Bearer <token>`, an empty `bearer.` or `access_token=`). The second has no
 * `token` field on purpose, so a caller cannot pass it on as "no credential" and get anonymous access.
 */
export type PresentedCredential =
  | { kind: 'token'; token: string; source: CredentialSource }
  | { kind: 'malformed'; source: CredentialSource };

const bearerHeader = /^Bearer +(\S+) *$/i;
const bearerSubprotocolPrefix = 'bearer.';

function fromHeader(authorization: string): PresentedCredential {
  const token = bearerHeader.exec(authorization)?.[1];
  return token === undefined
    ? { kind: 'malformed', source: 'header' }
    : { kind: 'token', token, source: 'header' };
}

function fromSubprotocols(header: string): PresentedCredential | undefined {
  const offered = header.split(',').map((protocol) => protocol.trim());
  const bearer = offered.find((protocol) => protocol.startsWith(bearerSubprotocolPrefix));
  if (bearer === undefined) return undefined;
  const token = bearer.slice(bearerSubprotocolPrefix.length);
  return token === ''
    ? { kind: 'malformed', source: 'subprotocol' }
    : { kind: 'token', token, source: 'subprotocol' };
}

/**
 * The credential of an HTTP request or WebSocket upgrade, from the first place present:
 * `Authorization: Bearer`, a `bearer.<token>` subprotocol, then `?access_token=`.
 * `undefined` when there is none at all.
 */
export function extractCredential(request: IncomingMessage): PresentedCredential | undefined {
  const { authorization } = request.headers;
  if (authorization !== undefined) return fromHeader(authorization);
  const subprotocols = request.headers['sec-websocket-protocol'];
  const fromProtocol = subprotocols === undefined ? undefined : fromSubprotocols(subprotocols);
  if (fromProtocol !== undefined) return fromProtocol;
  // A request target that is no URL at all carries no query credential.
  const token = URL.parse(request.url ?? '/', 'http://sluice')?.searchParams.get('access_token') ?? null;
  if (token === null) return undefined;
  return token === '' ? { kind: 'malformed', source: 'query' } : { kind: 'token', token, source: 'query' };
}
