import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The chat page, read once, with the CSP sources that let exactly its own inline script and style run. */
export interface ChatPage {
  body: Buffer;
  /** `'sha256-…'` sources of the page's inline scripts. */
  scriptSources: string[];
  /** `'sha256-…'` sources of the page's inline styles. */
  styleSources: string[];
}

const defaultPagePath = new URL('./static/index.html', import.meta.url);

/** CSP hash sources of every inline `<tag>` element, so the policy needs no 'unsafe-inline'. */
function inlineSources(html: string, tag: 'script' | 'style'): string[] {
  const elements = html.matchAll(new RegExp(`<${tag}\\b[^>]*>([\\s\\S]*?)</${tag}>`, 'gi'));
  return [...elements].map(
    ([, content]) =>
      `'sha256-${createHash('sha256')
        .update(content ?? '', 'utf8')
        .digest('base64')}'`,
  );
}

/** Reads the chat page (by default the one beside this module) and hashes its inline script and style. */
export function loadChatPage(path: URL | string = defaultPagePath): ChatPage {
  const html = readFileSync(path, 'utf8');
  return {
    body: Buffer.from(html, 'utf8'),
    scriptSources: inlineSources(html, 'script'),
    styleSources: inlineSources(html, 'style'),
  };
}

// A Host header is the client's to write: anything but a plain host[:port] could smuggle in CSP directives.
const plainHost = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The page's Content-Security-Policy: nothing from elsewhere, only its own hashed inline code, and
 * network access only to this origin and its WebSocket door.
 */
export function chatPagePolicy(page: ChatPage, host: string | undefined): string {
  const sockets = host !== undefined && plainHost.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    `script-src ${page.scriptSources.join(' ')}`,
    `style-src ${page.styleSources.join(' ')}`,
    'img-src data:',
    `connect-src 'self'${sockets}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Answers `GET /` with the chat page; it needs no credential, since it asks the user for one. */
export function serveChatPage(page: ChatPage, request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': page.body.length,
    'content-security-policy': chatPagePolicy(page, request.headers.host),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  });
  response.end(page.body);
}
