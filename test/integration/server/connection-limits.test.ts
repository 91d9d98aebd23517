import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { demoReply } from '../../../providers/demo/demo-reply.ts';
import { startGatedOpenAiUpstream } from '../../fakes/gated-openai-upstream.ts';
import { openRawConnection, parseRawResponse, type RawConnection } from '../../helpers/raw-connection.ts';
import { listeningPort, spawnSluiceWithOpenFileLimit } from '../../helpers/sluice-process.ts';
import { startTestSluice } from '../../helpers/start-test-sluice.ts';
import { until } from '../../helpers/until.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

const hello = [{ role: 'user' as const, content: 'Hello' }];
const healthCheck = 'GET /healthz HTTP/1.1\r\nHost: sluice\r\n\r\n';
const halfSentChat =
  'POST /v1/chat/completions HTTP/1.1\r\nHost: sluice\r\nContent-Type: application/json\r\n' +
  'Content-Length: 200\r\n\r\n{"model":"demo",';

/** A connection the server has certainly taken: it answered a health check on it, and keeps it alive. */
async function heldConnection(url: string, localAddress?: string): Promise<RawConnection> {
  const connection = await openRawConnection(url, localAddress);
  connection.write(healthCheck);
  await Promise.race([connection.receivedMatching(/\{"status":"ok"\}/), connection.closed]);
  return connection;
}

/** A non-streaming chat over HTTP from `localAddress`; resolves with the status and the reply's text. */
function chatOverHttp(url: string, localAddress: string) {
  return new Promise<{ status: number; content: string | undefined }>((resolve, reject) => {
    const body = JSON.stringify({ model: 'demo', messages: hello });
    const request = httpRequest(
      `${url}/v1/chat/completions`,
      { method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json' } },
      (response) => {
        let text = '';
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => {
          const reply = JSON.parse(text) as { choices?: Array<{ message: { content: string } }> };
          resolve({ status: response.statusCode ?? 0, content: reply.choices?.[0]?.message.content });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('connection limits: per address and for the whole server', () => {
  it('closes connections past server.per_ip.max_connections at once, HTTP ones too, while another address chats over HTTP and WebSocket', async () => {
    const sluice = await startTestSluice({ server: { per_ip: { max_connections: 3 } } });
    const held: RawConnection[] = [];
    try {
      for (let index = 0; index < 3; index++) {
        const connection = await heldConnection(sluice.url);
        connection.write(halfSentChat);
        held.push(connection);
      }
      for (let index = 0; index < 2; index++) {
        const extra = await openRawConnection(sluice.url);
        extra.write(healthCheck);
        const outcome = await Promise.race([extra.closed, extra.receivedMatching(/^HTTP/)]);
        assert.equal(outcome, '', 'the connection past the limit was closed unanswered');
      }
      assert.ok(
        held.every((connection) => connection.isOpen()),
        'the half-sent requests are still held',
      );

      const overHttp = await chatOverHttp(sluice.url, '127.0.0.2');
      assert.deepEqual(overHttp, { status: 200, content: demoReply(hello) });
      const client = await connectTestClient(sluice.wsUrl, 'sluice.v1', { localAddress: '127.0.0.2' });
      assert.equal((await client.next()).type, 'ready');
      client.send({ type: 'chat', id: 'other-address', model: 'demo', messages: hello });
      assert.equal((await client.collect('other-address')).at(-1)?.type, 'done');
      await client.close();
    } finally {
      for (const connection of held) connection.close();
      await sluice.close();
    }
  });

  it('under a low open-file limit, refuses new connections past server.max_connections and finishes the requests in flight', async () => {
    const upstream = await startGatedOpenAiUpstream({
      words: ['in ', 'flight ', 'to ', 'the ', 'end'],
      beforeGate: 2,
    });
    const directory = await mkdtemp(join(tmpdir(), 'sluice-file-limit-'));
    const configPath = join(directory, 'sluice.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        // Keep-alive connections stay open for the whole test, so each one the server took stays counted.
        server: { port: 0, keep_alive_timeout_ms: 600_000, drain_timeout_ms: 0 },
        store: { path: ':memory:' },
        providers: { gated: { type: 'openai-compatible', base_url: upstream.baseUrl } },
        models: { gated: { target: { provider: 'gated', model: 'gated' } } },
      }),
    );
    // 128 open files: the default max_connections is (128 - 64) / 2 = 32.
    const child = spawnSluiceWithOpenFileLimit(128, ['--config', configPath], {});
    const flood: RawConnection[] = [];
    try {
      const port = await listeningPort(child);
      const wsUrl = `ws://127.0.0.1:${port}/v1/ws`;
      const inFlight = await connectTestClient(wsUrl);
      const waiting = await connectTestClient(wsUrl);
      await Promise.all([inFlight.next(), waiting.next()]);
      inFlight.send({ type: 'chat', id: 'in-flight', model: 'gated', messages: hello });
      await inFlight.next((event) => event.type === 'delta');

      // Each flood connection comes from its own address, so only the server-wide limit stops them.
      let refused: RawConnection | undefined;
      for (let index = 1; refused === undefined; index++) {
        const connection = await heldConnection(`http://127.0.0.1:${port}`, `127.0.1.${index}`);
        if (connection.isOpen()) flood.push(connection);
        else refused = connection;
      }
      assert.equal(flood.length, 32 - 2, 'the two WebSocket clients and the flood make max_connections');
      assert.equal(await refused.closed, '', 'the connection past the limit was closed unanswered');

      // A new request on a connection opened before the flood needs a new upstream connection: a free descriptor.
      // Another question, so it is not coalesced onto the request in flight.
      const question = [{ role: 'user', content: 'And another thing' }];
      waiting.send({ type: 'chat', id: 'after-flood', model: 'gated', messages: question });
      const afterFlood = waiting.collect('after-flood');
      await Promise.race([until(() => upstream.calls() === 2), afterFlood]);
      upstream.open();
      const inFlightEvents = await inFlight.collect('in-flight');
      assert.equal(inFlightEvents.at(-1)?.type, 'done');
      assert.equal(
        inFlightEvents.flatMap((event) => (event.type === 'delta' ? [event.text] : [])).join(''),
        'in flight to the end',
      );
      assert.equal((await afterFlood).at(-1)?.type, 'done', JSON.stringify((await afterFlood).at(-1)));

      for (const connection of flood) connection.close();
      await until(async () => {
        const answer = await heldConnection(`http://127.0.0.1:${port}`, '127.0.2.1');
        answer.close();
        return parseRawResponse(await answer.closed).status === 200;
      });
      await Promise.all([inFlight.close(), waiting.close()]);
    } finally {
      for (const connection of flood) connection.close();
      upstream.open();
      child.kill('SIGTERM');
      await once(child, 'exit');
      await upstream.stop();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
