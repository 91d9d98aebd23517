import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { listeningPort, spawnSluice } from '../../helpers/sluice-process.ts';
import { startTestSluice, testConfig } from '../../helpers/start-test-sluice.ts';
import { until } from '../../helpers/until.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

const messages = [{ role: 'user', content: 'Hello' }];

describe('live config', () => {
  it('applies a reload to new requests while a stream in flight finishes on the config it started with', async () => {
    let release = () => {};
    const first = await startFakeOpenAiServer({
      script: {
        deltas: [{ content: 'old' }, { content: ' route' }],
        holdUntil: new Promise<void>((resolve) => (release = resolve)),
      },
    });
    const second = await startFakeOpenAiServer({ script: { deltas: [{ content: 'new route' }] } });
    const config = (provider: string) => ({
      providers: {
        first: { type: 'openai-compatible', base_url: first.baseUrl },
        second: { type: 'openai-compatible', base_url: second.baseUrl },
      },
      models: { chat: { target: { provider, model: 'm' } } },
    });
    const sluice = await startTestSluice(config('first'));
    try {
      const client = await connectTestClient(sluice.wsUrl);
      client.send({ type: 'chat', id: 'inflight', model: 'chat', messages });
      await until(() => first.chatRequests().length === 1);
      await sluice.reload(testConfig(config('second')));
      client.send({ type: 'chat', id: 'fresh', model: 'chat', messages });
      const fresh = await client.collect('fresh');
      assert.equal(fresh[0]?.provider, 'second');
      release();
      const inflight = await client.collect('inflight');
      assert.equal(inflight[0]?.provider, 'first');
      assert.equal(inflight.at(-1)?.type, 'done');
      assert.equal(
        inflight
          .filter((event) => event.type === 'delta')
          .map((event) => event.text)
          .join(''),
        'old route',
      );
      await client.close();
    } finally {
      await sluice.close();
      await first.close();
      await second.close();
    }
  });

  it('reloads on SIGHUP and on a file change, and keeps the old config when the new file is broken', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'sluice-reload-'));
    const path = join(directory, 'sluice.yaml');
    const base = [
      'server: { host: 127.0.0.1, port: 0, watch_config: true }',
      `store: { path: ${JSON.stringify(join(directory, 'ledger.db'))} }`,
    ];
    writeFileSync(
      path,
      [...base, 'models:', '  first: { target: { provider: demo, model: demo } }'].join('\n'),
    );
    const child = spawnSluice(['--config', path], {});
    let output = '';
    try {
      const port = await listeningPort(child);
      child.stdout!.on('data', (chunk) => {
        output += chunk;
      });
      const models = async () => {
        const client = await connectTestClient(`ws://127.0.0.1:${port}/v1/ws`);
        const ready = await client.next();
        await client.close();
        return ready.models as string[];
      };
      assert.deepEqual(await models(), ['demo', 'first']);

      writeFileSync(
        path,
        [...base, 'models:', '  broken: { target: { provider: nowhere, model: x } }'].join('\n'),
      );
      child.kill('SIGHUP');
      await until(() => output.includes('config reload rejected'));
      assert.match(output, /models\.broken\.target\.provider: unknown provider/);
      assert.deepEqual(await models(), ['demo', 'first'], 'the config in force stays');

      // The file watch picks the next save up by itself.
      writeFileSync(
        path,
        [...base, 'models:', '  second: { target: { provider: demo, model: demo } }'].join('\n'),
      );
      await until(async () => (await models()).includes('second'));
      assert.deepEqual(await models(), ['demo', 'second']);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it('on SIGTERM lets 20 live streams finish, refuses newcomers, records all 20 and exits 0', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'sluice-drain-'));
    const path = join(directory, 'sluice.yaml');
    const ledger = join(directory, 'ledger.db');
    writeFileSync(
      path,
      [
        'server: { host: 127.0.0.1, port: 0, drain_timeout_ms: 60000 }',
        `store: { path: ${JSON.stringify(ledger)} }`,
        'providers:',
        '  demo: { type: demo, token_delay_ms: 15 }',
      ].join('\n'),
    );
    const child = spawnSluice(['--config', path], {});
    const port = await listeningPort(child);
    const url = `ws://127.0.0.1:${port}/v1/ws`;
    const client = await connectTestClient(url);
    const ids = Array.from({ length: 20 }, (_, index) => `s${index}`);
    for (const id of ids) client.send({ type: 'chat', id, model: 'demo', messages, max_tokens: 40 });
    await until(() =>
      ids.every((id) => client.events.some((event) => event.id === id && event.type === 'delta')),
    );
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 503);
    await assert.rejects(connectTestClient(url), /503/);
    client.send({ type: 'chat', id: 'late', model: 'demo', messages });
    assert.equal((await client.collect('late')).at(-1)?.code, 'unavailable');
    for (const id of ids) {
      const done = (await client.collect(id)).at(-1);
      assert.equal(done?.type, 'done');
      assert.equal(done?.finish_reason, 'length');
    }
    assert.equal(await client.closed, 1001);
    const [code] = await exited;
    assert.equal(code, 0);
    const database = new DatabaseSync(ledger, { readOnly: true });
    const row = database
      .prepare(`SELECT COUNT(*) AS n FROM requests WHERE status = 'settled' AND outcome = 'length'`)
      .get() as { n: number };
    database.close();
    assert.equal(row.n, 20);
  });
});
