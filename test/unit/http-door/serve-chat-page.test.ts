import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chatPagePolicy, loadChatPage, serveChatPage } from '../../../src/http-door/serve-chat-page.ts';

const sha256Source = (text: string) =>
  `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** GET / with the given Host header; resolves with the response and its body. */
function get(port: number, host: string) {
  return new Promise<{ response: IncomingMessage; body: string }>((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path: '/', headers: { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ response, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('chat page: the static page and its Content-Security-Policy', () => {
  const script = "\n  document.body.append('hi');\n";
  const style = 'body { color: red; }';
  const html = `<!doctype html><style>${style}</style><p>x</p><script type="module">${script}</script>`;
  let folder: string;
  let server: Server;
  let port: number;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'sluice-chat-page-'));
    await writeFile(join(folder, 'index.html'), html);
    const page = loadChatPage(join(folder, 'index.html'));
    server = createServer((request, response) => serveChatPage(page, request, response));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.close();
    await once(server, 'close');
    await rm(folder, { recursive: true, force: true });
  });

  it('allows exactly the inline script and style of the page, by hash, and nothing inline else', () => {
    const page = loadChatPage(join(folder, 'index.html'));
    assert.deepEqual(page.scriptSources, [sha256Source(script)]);
    assert.deepEqual(page.styleSources, [sha256Source(style)]);
    const policy = chatPagePolicy(page, 'localhost:8787');
    assert.ok(policy.includes("default-src 'none'"));
    assert.ok(policy.includes(`script-src ${sha256Source(script)};`));
    assert.ok(!policy.includes('unsafe-inline') && !policy.includes('unsafe-eval'));
  });

  it('serves the page as HTML, with connect-src limited to this host and its WebSocket door', async () => {
    const { response, body } = await get(port, `127.0.0.1:${port}`);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(body, html);
    const policy = String(response.headers['content-security-policy']);
    assert.ok(policy.includes(`connect-src 'self' ws://127.0.0.1:${port} wss://127.0.0.1:${port};`), policy);
    assert.ok(policy.includes("frame-ancestors 'none'"));
  });

  it('leaves a Host header that is not a plain host and port out of the policy', async () => {
    const { response } = await get(port, "evil.test; script-src 'unsafe-inline'");
    const policy = String(response.headers['content-security-policy']);
    assert.ok(policy.includes("connect-src 'self';"), policy);
    assert.ok(!policy.includes('evil.test'));
  });

  it('hashes the real chat page, which has one inline script and one inline style', () => {
    const page = loadChatPage();
    assert.equal(page.scriptSources.length, 1);
    assert.equal(page.styleSources.length, 1);
    assert.match(page.body.toString('utf8'), /<script type="module">/);
  });
});
