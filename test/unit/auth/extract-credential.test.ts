import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  type ClientRequest,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
} from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { authConfigSchema } from '../../../src/auth/auth-config-schema.ts';
import { authenticateRequest } from '../../../src/auth/authenticate-request.ts';
import { createAuthenticator } from '../../../src/auth/create-authenticator.ts';
import { extractCredential } from '../../../src/auth/extract-credential.ts';
import { hashApiKey } from '../../../src/auth/hash-api-key.ts';

const authenticator = createAuthenticator(
  authConfigSchema.parse({
    anonymous: { enabled: true },
    api_keys: [{ hash: hashApiKey('alice-key'), user: 'alice', plan: 'pro' }],
  }),
);

/** What the loopback server saw: the credential, and the outcome of authenticating the same request. */
interface Observed {
  credential: ReturnType<typeof extractCredential> | null;
  identity?: unknown;
  refusal?: { code: string; message: string };
}

async function observe(request: IncomingMessage): Promise<Observed> {
  const observed: Observed = { credential: extractCredential(request) ?? null };
  try {
    observed.identity = await authenticateRequest(authenticator, request);
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    observed.refusal = { code, message };
  }
  return observed;
}

let server: Server;
let port: number;

before(async () => {
  // A real server, so the requests are real IncomingMessages with Node's own header handling.
  server = createServer(async (request, response) => {
    response.end(JSON.stringify(await observe(request)));
  });
  server.on('upgrade', async (request, socket) => {
    const body = JSON.stringify(await observe(request));
    socket.end(
      `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.close();
  await once(server, 'close');
});

/** Sends a plain GET with the given headers and path; resolves with what the server observed. */
async function get(path: string, headers: Record<string, string> = {}): Promise<Observed> {
  const request = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false });
  request.end();
  const [response] = (await once(request, 'response')) as [IncomingMessage];
  let text = '';
  for await (const chunk of response) text += chunk;
  return JSON.parse(text) as Observed;
}

/** Opens a WebSocket as a browser would (protocols, no headers); resolves with what the upgrade handler observed. */
async function upgrade(path: string, protocols: string[]): Promise<Observed> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols);
  const [handshake, response] = (await once(socket, 'unexpected-response')) as [
    ClientRequest,
    IncomingMessage,
  ];
  let text = '';
  for await (const chunk of response) text += chunk;
  // With an 'unexpected-response' listener, ending the refused handshake is the listener's job.
  handshake.destroy();
  return JSON.parse(text) as Observed;
}

describe('extractCredential', () => {
  it('takes the token of an Authorization: Bearer header', async () => {
    const observed = await get('/v1/models', { authorization: 'Bearer alice-key' });
    assert.deepEqual(observed.credential, { kind: 'token', token: 'alice-key', source: 'header' });
    assert.deepEqual(observed.identity, { user: 'key:alice', plan: 'pro', kind: 'api_key', admin: false });
  });

  it('reads the Bearer scheme in any case, as HTTP auth schemes are case-insensitive', async () => {
    const observed = await get('/', { authorization: 'bearer alice-key' });
    assert.deepEqual(observed.credential, { kind: 'token', token: 'alice-key', source: 'header' });
  });

  it('takes a bearer.<token> subprotocol offered by a browser WebSocket after sluice.v1', async () => {
    const observed = await upgrade('/v1/ws', ['sluice.v1', 'bearer.alice-key']);
    assert.deepEqual(observed.credential, { kind: 'token', token: 'alice-key', source: 'subprotocol' });
    assert.equal((observed.identity as { user: string }).user, 'key:alice');
  });

  it('finds the bearer. subprotocol among others, with spaces around the commas', async () => {
    const observed = await get('/v1/ws', {
      'sec-websocket-protocol': 'chat ,  bearer.alice-key , sluice.v1',
    });
    assert.deepEqual(observed.credential, { kind: 'token', token: 'alice-key', source: 'subprotocol' });
  });

  it('takes ?access_token= from the query', async () => {
    const observed = await get('/v1/ws?x=1&access_token=alice-key');
    assert.deepEqual(observed.credential, { kind: 'token', token: 'alice-key', source: 'query' });
  });

  it('finds nothing when no place holds a credential, and the caller is then anonymous', async () => {
    const observed = await upgrade('/v1/ws?x=1', ['sluice.v1']);
    assert.equal(observed.credential, null);
    assert.deepEqual(observed.identity, {
      user: 'anonymous:anonymous',
      plan: 'default',
      kind: 'anonymous',
      admin: false,
    });
  });

  it('prefers the header to the subprotocol, and the subprotocol to the query', async () => {
    const all = await get('/v1/ws?access_token=from-query', {
      authorization: 'Bearer from-header',
      'sec-websocket-protocol': 'sluice.v1, bearer.from-subprotocol',
    });
    assert.deepEqual(all.credential, { kind: 'token', token: 'from-header', source: 'header' });
    const noHeader = await get('/v1/ws?access_token=from-query', {
      'sec-websocket-protocol': 'sluice.v1, bearer.from-subprotocol',
    });
    assert.deepEqual(noHeader.credential, {
      kind: 'token',
      token: 'from-subprotocol',
      source: 'subprotocol',
    });
    const noBearerProtocol = await get('/v1/ws?access_token=from-query', {
      'sec-websocket-protocol': 'sluice.v1',
    });
    assert.deepEqual(noBearerProtocol.credential, { kind: 'token', token: 'from-query', source: 'query' });
  });

  it('calls an Authorization header that is not "Bearer <token>" malformed, even with a good token elsewhere', async () => {
    for (const authorization of ['Basic YWxpY2U6c2VjcmV0', 'Bearer', 'Bearer a b', 'alice-key']) {
      const observed = await get('/v1/ws?access_token=alice-key', { authorization });
      assert.deepEqual(observed.credential, { kind: 'malformed', source: 'header' }, authorization);
    }
  });

  it('finds no query credential in a request target that is not a URL', async () => {
    const socket = connect(port, '127.0.0.1');
    socket.end('GET //:99999?access_token=alice-key HTTP/1.1\r\nHost: sluice\r\nConnection: close\r\n\r\n');
    let reply = '';
    for await (const chunk of socket) reply += chunk;
    const observed = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as Observed;
    assert.equal(observed.credential, null);
  });

  it('calls an empty bearer. subprotocol or access_token malformed', async () => {
    const protocol = await get('/v1/ws', { 'sec-websocket-protocol': 'sluice.v1, bearer.' });
    assert.deepEqual(protocol.credential, { kind: 'malformed', source: 'subprotocol' });
    const query = await get('/v1/ws?access_token=');
    assert.deepEqual(query.credential, { kind: 'malformed', source: 'query' });
  });
});

describe('authenticateRequest', () => {
  it('refuses a malformed credential with unauthorized even when anonymous callers are allowed', async () => {
    const header = await get('/', { authorization: 'Basic YWxpY2U6c2VjcmV0' });
    assert.deepEqual(header.refusal, {
      code: 'unauthorized',
      message: 'malformed credential: the Authorization header must be "Bearer <token>"',
    });
    const protocol = await upgrade('/v1/ws', ['sluice.v1', 'bearer.']);
    assert.deepEqual(protocol.refusal, {
      code: 'unauthorized',
      message: 'malformed credential: empty bearer. subprotocol',
    });
    const query = await get('/v1/ws?access_token=');
    assert.deepEqual(query.refusal, {
      code: 'unauthorized',
      message: 'malformed credential: empty access_token',
    });
  });

  it('refuses an unknown token without naming it', async () => {
    const observed = await get('/v1/ws?access_token=mallory-guess');
    assert.deepEqual(observed.refusal, { code: 'unauthorized', message: 'invalid credential' });
  });
});
