import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { listeningPort, spawnBuiltSluice, spawnSluice } from '../helpers/sluice-process.ts';
import { connectTestClient } from '../helpers/ws-test-client.ts';

/** Asks the demo model once over a fresh connection; resolves with the request's last event type. */
async function askDemoOnce(port: number, id: string): Promise<string | undefined> {
  const client = await connectTestClient(`ws://127.0.0.1:${port}/v1/ws`);
  await client.next();
  client.send({ type: 'chat', id, model: 'demo', messages: [{ role: 'user', content: 'Hi' }] });
  const last = (await client.collect(id)).at(-1)?.type;
  await client.close();
  return last;
}

describe('the sluice process', () => {
  it('serves the demo model with no config and no keys, and exits 0 on SIGTERM', async () => {
    const child = spawnSluice([], { PORT: '0' });
    try {
      const port = await listeningPort(child);
      const client = await connectTestClient(`ws://127.0.0.1:${port}/v1/ws`);
      const ready = await client.next();
      assert.equal(ready.type, 'ready');
      assert.deepEqual(ready.models, ['demo']);
      client.send({
        type: 'chat',
        id: 'first',
        model: 'demo',
        messages: [{ role: 'user', content: 'Hello' }],
      });
      const events = await client.collect('first');
      assert.equal(events[0]?.type, 'start');
      assert.ok(events.filter((event) => event.type === 'delta').length > 10);
      assert.equal(events.at(-1)?.type, 'done');
      await client.close();
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });

  it('writes its batched log lines out when stopped right after a request', async () => {
    const child = spawnSluice([], { PORT: '0' });
    const messages: string[] = [];
    let listening: (port: number) => void;
    const port = new Promise<number>((resolve, reject) => {
      listening = resolve;
      child.once('exit', (code) => reject(new Error(`Sluice exited (${code}) before listening`)));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg: string; port?: number };
      messages.push(entry.msg);
      if (entry.msg.startsWith('Sluice listening')) listening(entry.port!);
    });
    const exited = once(child, 'exit');
    try {
      assert.equal(await askDemoOnce(await port, 'only'), 'done');
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await exited;
    assert.equal(code, 0);
    assert.ok(messages.includes('request end'), 'the request end line was written');
    assert.equal(messages.at(-1), 'stopped');
  });

  it('runs from the build that npm start makes: the chat page and the demo model', async () => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: new URL('../../', import.meta.url) });
    const child = spawnBuiltSluice({ PORT: '0' });
    try {
      const port = await listeningPort(child);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<html/i);
      assert.equal(await askDemoOnce(port, 'built'), 'done');
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });

  it('refuses to start on an invalid config and names the bad path', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sluice-')), 'bad.yaml');
    writeFileSync(path, 'server: { port: "eighty" }\n');
    const child = spawnSluice(['--config', path], {});
    let stderr = '';
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(stderr, /server\.port: /);
  });

  it('reads the config path from SLUICE_CONFIG', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sluice-')), 'bad.yaml');
    writeFileSync(path, 'models:\n  x: { target: { provider: ghost, model: m } }\n');
    const child = spawnSluice([], { SLUICE_CONFIG: path });
    let stderr = '';
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(stderr, /models\.x\.target\.provider: unknown provider "ghost"/);
  });

  it('runs V8 helper threads at the lowest priority, and every other thread at the normal one', async () => {
    // With the CPU profiler on, so that its sampler thread is there too.
    const child = spawnSluice([], {
      PORT: '0',
      NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${mkdtempSync(join(tmpdir(), 'sluice-prof-'))}`,
    });
    try {
      const port = await listeningPort(child);
      // One request, so that libuv's pool and everything a request starts is running too.
      assert.equal(await askDemoOnce(port, 'one'), 'done');
      const threads = readdirSync(`/proc/${child.pid}/task`).map((task) => ({
        id: Number(task),
        name: readFileSync(`/proc/${child.pid}/task/${task}/comm`, 'utf8').trim(),
        nice: getPriority(Number(task)),
      }));
      const isHelper = ({ id, name }: { id: number; name: string }) =>
        id !== child.pid && ['V8Worker', 'DelayedTaskSche', 'node'].includes(name);
      const helpers = threads.filter(isHelper);
      const others = threads.filter((thread) => !isHelper(thread));
      assert.ok(helpers.length >= 2, `threads: ${JSON.stringify(threads)}`);
      assert.ok(
        others.some(({ name }) => name.startsWith('v8:')),
        `threads: ${JSON.stringify(threads)}`,
      );
      assert.deepEqual(
        helpers.map(({ nice }) => nice),
        helpers.map(() => 19),
      );
      assert.deepEqual(
        others.map(({ name, nice }) => `${name} ${nice}`),
        others.map(({ name }) => `${name} 0`),
      );
    } finally {
      child.kill('SIGTERM');
    }
    await once(child, 'exit');
  });
});
