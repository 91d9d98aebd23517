import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { createLogger } from '../../../src/log/create-logger.ts';
import type { Gateway } from '../../../src/pipeline/create-gateway.ts';
import { serveClientConnection } from '../../../src/ws-door/client-connection.ts';
import { createInFlightBudget, type InFlightBudget } from '../../../src/ws-door/in-flight-budget.ts';
import { testConfig } from '../../helpers/start-test-sluice.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

const servers: Server[] = [];

/**
 * Serves WebSocket connections with `serveClientConnection` over the given gateway (and in-flight
 * budget, by default a real one): a door whose parts a test can make fail as a bug would.
 */
async function serveConnections(gateway: Partial<Gateway>, inFlight?: InFlightBudget) {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level: 'info',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  const config = testConfig();
  const webSockets = new WebSocketServer({ noServer: true });
  const server = createServer();
  server.on('upgrade', (request, socket, head) =>
    webSockets.handleUpgrade(request, socket, head, (webSocket) =>
      serveClientConnection({
        socket: webSocket,
        gateway: { modelNames: () => ['demo'], ...gateway } as Gateway,
        config,
        log,
        identity: { user: 'key:tester', plan: 'default', kind: 'api_key', admin: false },
        limits: {},
        rawSocket: socket,
        inFlight: inFlight ?? createInFlightBudget(config.server.max_requests_per_user),
        budgetHolder: 'key:tester',
      }),
    ),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  const client = await connectTestClient(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  assert.equal((await client.next()).type, 'ready');
  return { client, lines };
}

const hello = { type: 'chat', model: 'demo', messages: [{ role: 'user', content: 'Hi' }] };

describe('a client connection when something fails inside Sluice', () => {
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  it('ends a request whose pipeline fails with one internal error after what was sent, and keeps the connection open', async () => {
    const { client } = await serveConnections({
      async runChat(_request, _context, emit) {
        await emit({ type: 'start', model: 'demo', provider: 'demo', cached: false, warnings: [] });
        await emit({ type: 'text-delta', text: 'Hel' });
        throw new Error('a bug in a stage');
      },
    });
    client.send({ ...hello, id: 'a' });
    const types: string[] = [];
    for (;;) {
      const event = await client.next();
      types.push(event.type);
      if (event.type === 'error') {
        assert.equal((event as { code?: string }).code, 'internal');
        break;
      }
    }
    assert.deepEqual(
      types,
      ['start', 'delta', 'error'],
      'the delta held by the merger went out before the error',
    );
    client.send({ type: 'cancel', id: 'a' });
    client.send({ ...hello, id: 'b' });
    assert.equal((await client.next()).type, 'start', 'the connection serves the next request');
    await client.close();
  });

  it('closes with 1011 and logs the failure when serving a frame fails outside the pipeline, instead of ending the process', async () => {
    const failingBudget = {
      admit: () => Promise.reject(new Error('the budget broke')),
    } as unknown as InFlightBudget;
    const { client, lines } = await serveConnections({}, failingBudget);
    client.send({ ...hello, id: 'a' });
    assert.equal(await client.closed, 1011);
    const failure = lines.find((line) => line.msg === 'serving a client frame failed inside Sluice');
    assert.equal((failure?.err as { message?: string })?.message, 'the budget broke');
  });
});
