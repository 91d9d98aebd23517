import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { demoReply } from '../../providers/demo/demo-reply.ts';
import { hashApiKey } from '../../src/auth/hash-api-key.ts';
import {
  launchTestBrowser,
  recordSocketFrames,
  type SocketFrame,
  type SocketFrames,
  type TestBrowser,
  watchPageProblems,
} from '../helpers/browser.ts';
import { startTestSluice, type TestSluice } from '../helpers/start-test-sluice.ts';

const screenshotPath = fileURLToPath(new URL('../../test-results/chat-page.png', import.meta.url));
const lastReply = '.message.assistant:last-of-type';
const connected = '#status[data-state="connected"]';

/** Records, inside the page, every text the newest reply bubble shows, as it changes. */
const recordReplySnapshots = `(() => {
  window.replySnapshots = [];
  const list = document.getElementById('messages');
  new MutationObserver(() => {
    const replies = list.querySelectorAll('.message.assistant .content');
    const newest = replies[replies.length - 1];
    if (newest) window.replySnapshots.push(newest.textContent);
  }).observe(list, { childList: true, subtree: true, characterData: true });
})()`;

/** Records, inside the page, every connection state the status pill passes through. */
const recordStatusStates = `(() => {
  const status = document.getElementById('status');
  window.statusStates = [status.dataset.state];
  new MutationObserver(() => window.statusStates.push(status.dataset.state))
    .observe(status, { attributes: true, attributeFilter: ['data-state'] });
})()`;

const userSays = (content: string) => [{ role: 'user' as const, content }];

/** Types a prompt and sends it; resolves with the `chat` frame the page put on the socket. */
async function sendPrompt(page: Page, frames: SocketFrames, prompt: string): Promise<SocketFrame> {
  await page.locator('#prompt').fill(prompt);
  await page.getByRole('button', { name: 'Send' }).click();
  return frames.nextSent(
    (frame) =>
      frame.type === 'chat' && (frame.messages as Array<{ content: string }>).at(-1)?.content === prompt,
  );
}

async function openChatPage(page: Page, url: string): Promise<void> {
  const response = await page.goto(url);
  assert.equal(response?.status(), 200);
  await page.locator(connected).waitFor();
  await page.locator('#model').selectOption('demo');
}

describe('chat page: streaming, Stop and reconnecting in Chromium', () => {
  let browser: TestBrowser;
  let sluice: TestSluice;
  before(async () => {
    browser = await launchTestBrowser();
    sluice = await startTestSluice({
      // Paced so the long reply takes many seconds and Stop lands in its middle.
      providers: {
        demo: { type: 'demo', token_delay_ms: 40 },
        // Nothing listens on port 1: requests to `broken` fail upstream.
        down: { type: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1' },
      },
      models: { broken: { target: { provider: 'down', model: 'nothing' } } },
      plans: { default: { tokens_per_day: 100_000 } },
      pricing: { demo: { input_per_million: 1, output_per_million: 4 } },
    });
  });
  after(async () => {
    await browser?.close();
    await sluice?.close();
  });

  it('streams the demo reply into the page in order, with usage and remaining quota under it', async () => {
    const page = await browser.newPage();
    const problems = watchPageProblems(page);
    const frames = recordSocketFrames(page);
    await openChatPage(page, sluice.url);
    await page.evaluate(recordReplySnapshots);

    const chat = await sendPrompt(page, frames, 'Hello');
    assert.deepEqual(chat.messages, userSays('Hello'));
    assert.equal(chat.model, 'demo');
    await page.locator(`${lastReply}[data-status="done"]`).waitFor();

    const expected = demoReply(userSays('Hello'));
    assert.equal(await page.locator(`${lastReply} .content`).textContent(), expected);
    const snapshots = await page.evaluate<string[]>('window.replySnapshots');
    for (const [index, snapshot] of snapshots.entries()) {
      assert.ok(snapshot.startsWith(snapshots[index - 1] ?? ''), `snapshot ${index} extends the one before`);
    }
    assert.equal(snapshots.at(-1), expected);
    assert.ok(new Set(snapshots).size > 2, 'the text appeared piece by piece, not all at once');

    const ofChat = frames.received.filter((frame) => frame.id === chat.id);
    const deltas = ofChat.filter((frame) => frame.type === 'delta');
    assert.deepEqual(
      deltas.map((frame) => frame.seq),
      deltas.map((_, index) => index + 1),
    );
    assert.equal(deltas.map((frame) => frame.text).join(''), expected);
    const done = ofChat.at(-1)!;
    assert.equal(done.type, 'done');
    assert.equal(done.finish_reason, 'stop');

    const usage = done.usage as { input_tokens: number; output_tokens: number; cost_usd: number };
    const quota = done.quota as { tokens_left_today: number };
    const usageLine = await page.locator(`${lastReply} .usage`).textContent();
    assert.match(
      usageLine ?? '',
      new RegExp(`^${usage.input_tokens} in · ${usage.output_tokens} out tokens · \\$0\\.0\\d+$`),
    );
    const quotaLine = await page.locator(`${lastReply} .quota`).textContent();
    assert.equal(quotaLine, `Quota: ${quota.tokens_left_today.toLocaleString('en-US')} tokens left today`);
    assert.equal(await page.locator('#send').textContent(), 'Send');

    await mkdir(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath });
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('sends cancel when Stop is pressed during a long reply and shows the reply as stopped', async () => {
    const page = await browser.newPage();
    const problems = watchPageProblems(page);
    const frames = recordSocketFrames(page);
    await openChatPage(page, sluice.url);

    const chat = await sendPrompt(page, frames, 'Tell me something long');
    // Some tokens on screen (the page's CSP forbids string evaluation, so a locator watches the text).
    await page.locator(`${lastReply} .content`, { hasText: /.{40}/ }).waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator(`${lastReply}[data-status="cancelled"]`).waitFor();

    assert.deepEqual(
      frames.sent.filter((frame) => frame.type === 'cancel'),
      [{ type: 'cancel', id: chat.id }],
    );
    const done = await frames.nextReceived((frame) => frame.id === chat.id && frame.type === 'done');
    assert.equal(done.finish_reason, 'cancelled');
    const shown = (await page.locator(`${lastReply} .content`).textContent()) ?? '';
    const fullReply = demoReply(userSays('Tell me something long'));
    assert.ok(fullReply.startsWith(shown), 'the page shows the start of the reply');
    assert.ok(shown.length < fullReply.length, 'the reply stopped before its end');
    assert.equal(await page.locator(`${lastReply} .badge`).textContent(), 'Stopped');
    assert.match((await page.locator(`${lastReply} .usage`).textContent()) ?? '', /\d+ out/);
    assert.equal(await page.locator('#send').textContent(), 'Send');
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('shows a request that fails with an error event inline, with its code and message', async () => {
    const page = await browser.newPage();
    const problems = watchPageProblems(page);
    const frames = recordSocketFrames(page);
    await openChatPage(page, sluice.url);
    await page.locator('#model').selectOption('broken');
    const chat = await sendPrompt(page, frames, 'Hi');
    const error = await frames.nextReceived((frame) => frame.id === chat.id && frame.type === 'error');
    await page.locator(`${lastReply}[data-status="error"]`).waitFor();
    const shown = (await page.locator(`${lastReply} .error-box`).textContent()) ?? '';
    assert.ok(shown.startsWith(String(error.code)), shown);
    assert.ok(shown.includes(String(error.message)), shown);
    assert.equal(await page.locator('#send').textContent(), 'Send');
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('reconnects after the server drops the socket and carries the conversation on', async () => {
    const page = await browser.newPage();
    const problems = watchPageProblems(page);
    const frames = recordSocketFrames(page);
    await openChatPage(page, sluice.url);
    const first = await sendPrompt(page, frames, 'Hello');
    await page.locator(`${lastReply}[data-status="done"]`).waitFor();
    await page.evaluate(recordStatusStates);

    const reopened = page.waitForEvent('websocket');
    for (const connection of sluice.connections) connection.terminate();
    await reopened;
    await page.locator(connected).waitFor();
    const states = await page.evaluate<string[]>('window.statusStates');
    assert.ok(states.includes('reconnecting'), `the page showed it was reconnecting: ${states.join(', ')}`);

    const second = await sendPrompt(page, frames, 'Hello again');
    assert.notEqual(second.id, first.id, 'each request has its own id');
    assert.deepEqual(second.messages, [
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: demoReply(userSays('Hello')) },
      { role: 'user', content: 'Hello again' },
    ]);
    await page.locator(`${lastReply}[data-status="done"]`).waitFor();
    assert.equal(
      await page.locator(`${lastReply} .content`).textContent(),
      demoReply(userSays('Hello again')),
    );
    assert.equal(frames.urls.length, 2);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('resumes a reply whose connection dropped mid-stream: the whole reply, every piece once', async () => {
    const page = await browser.newPage();
    const problems = watchPageProblems(page);
    const frames = recordSocketFrames(page);
    await openChatPage(page, sluice.url);
    const chat = await sendPrompt(page, frames, 'Hello');
    await page.locator(`${lastReply} .content`, { hasText: /.{40}/ }).waitFor();

    const reopened = page.waitForEvent('websocket');
    for (const connection of sluice.connections) connection.terminate();
    await reopened;
    const resume = await frames.nextSent((frame) => frame.type === 'resume');
    await page.locator(`${lastReply}[data-status="done"]`).waitFor();

    const fullReply = demoReply(userSays('Hello'));
    assert.equal(await page.locator(`${lastReply} .content`).textContent(), fullReply);
    // What the first connection got before it dropped, then what the resume replayed and streamed on.
    const seqs = frames.received.filter((frame) => frame.id === chat.id && frame.seq !== undefined);
    const beforeDrop = seqs.filter((frame) => (frame.seq as number) <= (resume.after_seq as number));
    assert.equal(resume.id, chat.id);
    assert.ok((resume.after_seq as number) > 0, 'the resume asked only for what the page had not shown');
    assert.deepEqual(
      seqs.map((frame) => frame.seq),
      seqs.map((_, index) => index + 1),
      'every delta and the done arrived once, in order, with no gap',
    );
    assert.ok(
      beforeDrop.length < seqs.length - 1,
      'the reply was still streaming when the connection dropped',
    );
    assert.equal(seqs.at(-1)?.type, 'done');
    assert.equal(seqs.at(-1)?.finish_reason, 'stop');
    assert.equal(frames.urls.length, 2);
    assert.deepEqual(problems, []);
    await page.close();
  });
});

describe('chat page: a credential typed into the page', () => {
  const apiKey = 'sk-sluice-page-test-key-0001';
  let browser: TestBrowser;
  let sluice: TestSluice;
  const upgrades: IncomingMessage[] = [];
  before(async () => {
    browser = await launchTestBrowser();
    sluice = await startTestSluice({ auth: { api_keys: [{ hash: hashApiKey(apiKey), user: 'alice' }] } });
    sluice.server.prependListener('upgrade', (request: IncomingMessage) => upgrades.push(request));
  });
  after(async () => {
    await browser?.close();
    await sluice?.close();
  });

  it('cannot connect without a key, connects once one is saved, sends it as a bearer. subprotocol and keeps it across reloads', async () => {
    const page = await browser.newPage();
    const problems = watchPageProblems(page);
    const frames = recordSocketFrames(page);
    const response = await page.goto(sluice.url);
    assert.equal(response?.status(), 200, 'the page itself needs no credential');
    await page.locator('#status[data-state="unauthorized"]').waitFor();
    assert.equal(await page.locator('#status-text').textContent(), 'Needs a credential');
    assert.match((await page.locator('#credential-hint').textContent()) ?? '', /paste an API key/);
    assert.equal(upgrades[0]?.headers['sec-websocket-protocol'], 'sluice.v1');

    await page.locator('#credential').fill('sk-sluice-wrong-key');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#status-text', { hasText: 'Credential refused' }).waitFor();

    await page.locator('#credential').fill(apiKey);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator(connected).waitFor();
    assert.match((await page.locator('#status-text').textContent()) ?? '', /Connected as key:alice/);
    assert.equal(await page.locator('#credential-hint').isVisible(), false);
    const accepted = upgrades.at(-1)!;
    assert.equal(accepted.headers['sec-websocket-protocol'], `sluice.v1, bearer.${apiKey}`);
    assert.equal(accepted.headers.authorization, undefined);
    assert.ok(!frames.urls.some((url) => url.includes('access_token')), 'the key never goes in the URL');

    await page.reload();
    await page.locator(connected).waitFor();
    assert.equal(await page.locator('#credential').inputValue(), apiKey);
    assert.equal(await page.evaluate<string>(`localStorage.getItem('sluice.credential')`), apiKey);
    assert.equal(upgrades.at(-1)?.headers['sec-websocket-protocol'], `sluice.v1, bearer.${apiKey}`);
    await page.locator('#model').selectOption('demo');
    const chat = await sendPrompt(page, frames, 'Hi');
    await page.locator(`${lastReply}[data-status="done"]`).waitFor();
    assert.equal(await page.locator(`${lastReply} .content`).textContent(), demoReply(userSays('Hi')));
    assert.equal(typeof chat.id, 'string');
    assert.deepEqual(problems, []);
    await page.close();
  });
});
