import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { createLogger } from '../../../src/log/create-logger.ts';
import type { Gateway } from '../../../src/pipeline/create-gateway.ts';
import { serveClientConnection } from '../../../src/ws-door/client-connection.ts';
import { createInFlightBudget } from '../../../src/ws-door/in-flight-budget.ts';
import { testConfig } from '../../helpers/start-test-sluice.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

describe('a client connection whose pipeline fails inside Sluice', () => {
  let close = () => {};
  after(() => close());

  it('ends the request with one internal error after what was sent, and keeps the connection open', async () => {
    const log = createLogger({ level: 'fatal', destination: { write: () => {} } });
    const gateway = {
      modelNames: () => ['demo'],
      async runChat(_request, _context, emit) {
        await emit({ type: 'start', model: 'demo', provider: 'demo', cached: false, warnings: [] });
        await emit({ type: 'text-delta', text: 'Hel' });
        throw new Error('a bug in a stage');
      },
    } as Pick<Gateway, 'modelNames' | 'runChat'> as Gateway;
    const config = testConfig();
    const webSockets = new WebSocketServer({ noServer: true });
    const server = createServer();
    server.on('upgrade', (request, socket, head) =>
      webSockets.handleUpgrade(request, socket, head, (webSocket) =>
        serveClientConnection({
          socket: webSocket,
          gateway,
          config,
          log,
          identity: { user: 'key:tester', plan: 'default', kind: 'api_key', admin: false },
          limits: {},
          rawSocket: socket,
          inFlight: createInFlightBudget(config.server.max_requests_per_user),
          budgetHolder: 'key:tester',
        }),
      ),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    close = () => server.close();
    const client = await connectTestClient(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    assert.equal((await client.next()).type, 'ready');
    client.send({ type: 'chat', id: 'a', model: 'demo', messages: [{ role: 'user', content: 'Hi' }] });
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
    client.send({ type: 'chat', id: 'b', model: 'demo', messages: [{ role: 'user', content: 'Again' }] });
    assert.equal((await client.next()).type, 'start', 'the connection serves the next request');
    await client.close();
  });
});
