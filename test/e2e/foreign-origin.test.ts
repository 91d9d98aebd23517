import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { launchTestBrowser, type TestBrowser } from '../helpers/browser.ts';
import { startTestSluice, type TestSluice } from '../helpers/start-test-sluice.ts';

/** What a page on another origin tries against Sluice, run inside that page. */
async function driveSluiceFromPage({ url, wsUrl }: { url: string; wsUrl: string }) {
  const chat = JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'Spend my key' }] });
  const socket = await new Promise<string>((resolve) => {
    const webSocket = new WebSocket(wsUrl, 'sluice.v1');
    webSocket.onopen = () => resolve('open');
    webSocket.onmessage = (event) => resolve(`message: ${event.data}`);
    webSocket.onerror = () => resolve('error');
  });
  const attempt = (init: RequestInit) =>
    fetch(`${url}/v1/chat/completions`, { method: 'POST', body: chat, ...init }).then(
      (response) => `${response.type} ${response.status}`,
      (error: Error) => `failed: ${error.name}`,
    );
  return {
    socket,
    // A "simple" request: no preflight, and a no-cors response the page cannot read, but Sluice sees it.
    textPlain: await attempt({ mode: 'no-cors', headers: { 'content-type': 'text/plain' } }),
    json: await attempt({ headers: { 'content-type': 'application/json' } }),
  };
}

describe('a web page on another origin cannot drive a default local Sluice (Chromium)', () => {
  let browser: TestBrowser;
  let sluice: TestSluice;
  let page: Server;
  let pageUrl: string;
  const seen: string[] = [];
  before(async () => {
    browser = await launchTestBrowser();
    sluice = await startTestSluice();
    sluice.server.prependListener('request', (request: IncomingMessage, response) => {
      response.on('finish', () => seen.push(`${request.method} ${request.url} ${response.statusCode}`));
    });
    sluice.server.prependListener('upgrade', (request: IncomingMessage) =>
      seen.push(`upgrade from ${request.headers.origin}`),
    );
    // Another host on loopback: another origin, as any site the developer visits would be.
    page = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>Some other site</title><p>Nothing to see.</p>');
    });
    page.listen(0, '127.0.0.2');
    await once(page, 'listening');
    pageUrl = `http://127.0.0.2:${(page.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await browser?.close();
    await sluice?.close();
    page?.close();
  });

  it('gets no WebSocket and no chat: the handshake and the POSTs are refused, and no request runs', async () => {
    const tab = await browser.newPage();
    const consoleLines: string[] = [];
    tab.on('console', (message) => consoleLines.push(message.text()));
    assert.equal((await tab.goto(pageUrl))?.status(), 200);
    const outcome = await tab.evaluate(driveSluiceFromPage, { url: sluice.url, wsUrl: sluice.wsUrl });

    assert.equal(outcome.socket, 'error', 'the WebSocket never opened');
    assert.ok(
      consoleLines.some((line) => /WebSocket .* failed.*403/.test(line)),
      `Chromium reports the 403 handshake: ${consoleLines.join(' | ')}`,
    );
    assert.equal(outcome.textPlain, 'opaque 0', 'a no-cors POST shows the page nothing');
    assert.equal(outcome.json, 'failed: TypeError', 'the JSON POST never got past its preflight');
    assert.deepEqual(seen, [
      `upgrade from ${new URL(pageUrl).origin}`,
      'POST /v1/chat/completions 403',
      'OPTIONS /v1/chat/completions 403',
    ]);
    assert.ok(!sluice.logLines().some((line) => line.msg === 'request end'), 'no chat ran');
    assert.equal(sluice.connections.size, 0);
    await tab.close();
  });
});
