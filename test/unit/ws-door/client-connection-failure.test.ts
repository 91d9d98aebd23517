import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { createLogger } from '../../../src/log/create-logger.ts';
import type { Gateway } from '../../../src/pipeline/create-gateway.ts';
import { serveClientConnection } from '../../../src/ws-door/client-connection.ts';
import type { InFlightBudget } from '../../../src/ws-door/in-flight-budget.ts';
import { testConfig } from '../../helpers/start-test-sluice.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

/** Serves WebSocket connections whose in-flight budget fails, as a bug inside Sluice would. */
async function serveWithFailingBudget() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level: 'info',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  const gateway = { modelNames: () => ['demo'] } as unknown as Gateway;
  const inFlight = {
    admit: () => Promise.reject(new Error('the budget broke')),
  } as unknown as InFlightBudget;
  const webSockets = new WebSocketServer({ noServer: true });
  const server = createServer();
  server.on('upgrade', (request, socket, head) =>
    webSockets.handleUpgrade(request, socket, head, (webSocket) =>
      serveClientConnection({
        socket: webSocket,
        gateway,
        config: testConfig(),
        log,
        identity: { user: 'key:tester', plan: 'default', kind: 'api_key', admin: false },
        limits: {},
        rawSocket: socket,
        inFlight,
        budgetHolder: 'key:tester',
      }),
    ),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, lines, server };
}

describe('a client connection', () => {
  let close = () => {};
  after(() => close());

  it('closes with 1011 and logs the failure when serving a frame fails inside Sluice, instead of ending the process', async () => {
    const served = await serveWithFailingBudget();
    close = () => served.server.close();
    const client = await connectTestClient(served.url);
    assert.equal((await client.next()).type, 'ready');
    client.send({ type: 'chat', id: 'a', model: 'demo', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(await client.closed, 1011);
    const failure = served.lines.find((line) => line.msg === 'serving a client frame failed inside Sluice');
    assert.equal((failure?.err as { message?: string })?.message, 'the budget broke');
  });
});
