import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where Debian's `chromium` package installs the browser that end-to-end tests drive. */
export const chromiumPath = '/usr/bin/chromium';

// Quiet and offline: no first-run UI, updates, sync or QUIC probes from the test browser.
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium with a fresh profile, removed again on close. */
export interface TestBrowser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Launches Debian's Chromium through playwright-core; fails with install instructions when it is missing. */
export async function launchTestBrowser(): Promise<TestBrowser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is not installed at ${chromiumPath}; the end-to-end tests need it. Install it with ` +
        '`apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium` ' +
        '(as root; .ci/run does this in CI).',
    );
  }
  const userDataDir = await mkdtemp(join(tmpdir(), 'sluice-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1200, height: 860 },
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A JSON frame that crossed a page's WebSocket. */
export type SocketFrame = Record<string, unknown> & { type: string; id?: string };

/** Every JSON frame a page's WebSockets sent and received, in order. */
export interface SocketFrames {
  sent: SocketFrame[];
  received: SocketFrame[];
  /** The URL of every WebSocket the page opened. */
  urls: string[];
  /** Resolves with the first sent frame (seen already or still to come) that matches. */
  nextSent(match: (frame: SocketFrame) => boolean): Promise<SocketFrame>;
  /** Resolves with the first received frame (seen already or still to come) that matches. */
  nextReceived(match: (frame: SocketFrame) => boolean): Promise<SocketFrame>;
}

function parseFrame(payload: string | Buffer): SocketFrame {
  return JSON.parse(payload.toString()) as SocketFrame;
}

type Waiter = { match: (frame: SocketFrame) => boolean; resolve: (frame: SocketFrame) => void };

/** A list of frames that also answers "the first frame like this", now or once it comes. */
function createFrameList() {
  const frames: SocketFrame[] = [];
  const waiters: Waiter[] = [];
  return {
    frames,
    add(frame: SocketFrame) {
      frames.push(frame);
      for (const waiter of waiters.filter((candidate) => candidate.match(frame))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
    },
    next(match: Waiter['match']): Promise<SocketFrame> {
      const seen = frames.find(match);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

/** Records the frames of every WebSocket the page opens from now on, seen from the browser's side. */
export function recordSocketFrames(page: Page): SocketFrames {
  const sent = createFrameList();
  const received = createFrameList();
  const urls: string[] = [];
  page.on('websocket', (socket) => {
    urls.push(socket.url());
    socket.on('framesent', ({ payload }) => sent.add(parseFrame(payload)));
    socket.on('framereceived', ({ payload }) => received.add(parseFrame(payload)));
  });
  return {
    sent: sent.frames,
    received: received.frames,
    urls,
    nextSent: sent.next,
    nextReceived: received.next,
  };
}

/** Collects uncaught page errors and Content-Security-Policy violations, which a working page has none of. */
export function watchPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (/content security policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  return problems;
}
