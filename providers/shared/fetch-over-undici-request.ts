import { STATUS_CODES } from 'node:http';
import { pipeline, type Readable, type Transform } from 'node:stream';
import { arrayBuffer, blob, json, text } from 'node:stream/consumers';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { type Dispatcher, request } from 'undici';

/** What the provider SDKs' `fetch` client option takes. */
export type SdkFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A `fetch` for the provider SDKs' `fetch` client option, made with undici's `request` (the same
 * client and connection pool as Node's own fetch) instead of fetch itself.
 *
 * Why: fetch hands every network read of a streamed reply through WHATWG streams, several promises
 * per token; `request` gives the body as a Node stream, which the SDKs read like any async-iterable
 * body. Back to back at 50 concurrent streams this cut Sluice's CPU per token by up to a sixth and
 * its added time to first token by more on a busy machine, less on a quiet one (bench/RESULTS.md).
 *
 * The response has the members of a `Response` the SDKs and Sluice's readers use: `ok`, `status`,
 * `statusText`, `headers`, `url`, `body` (an async-iterable Node stream), `bodyUsed` and the body
 * readers. Differences from fetch, none of which an LLM API relies on: redirects are not followed
 * (a 3xx reaches the SDK as an error status), replies are asked for uncompressed (`Accept-Encoding:
 * identity`; one compressed anyway is still decoded), and a request body other than a string or bytes
 * goes through Node's own fetch.
 */
export function createFetchOverUndiciRequest(): SdkFetch {
  return async (input, init = {}) => {
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      return fetch(input, init);
    }
    const url = typeof input === 'string' || input instanceof URL ? input : input.url;
    // undici's global dispatcher: the connection pool (and any proxy agent) Node's own fetch uses.
    const reply = await request(url, {
      method: normalizedMethod(init.method),
      headers: requestHeaders(init.headers),
      body,
      signal: init.signal ?? undefined,
    });
    return responseOf(reply, String(url));
  };
}

/** fetch upper-cases the standard methods whatever their case; others go as given. */
const standardMethods = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
function normalizedMethod(method = 'GET'): Dispatcher.HttpMethod {
  const upper = method.toUpperCase();
  return (standardMethods.has(upper) ? upper : method) as Dispatcher.HttpMethod;
}

/**
 * fetch's `HeadersInit` (a `Headers`, pairs or a record) as a `Headers`, an iterable of pairs undici
 * takes, asking for an uncompressed reply unless the caller chose an encoding: a stream of small
 * events gains little from compression, and decoding it would cost every token.
 */
function requestHeaders(init: RequestInit['headers']): Headers {
  const headers = new Headers(init);
  if (!headers.has('accept-encoding')) headers.set('accept-encoding', 'identity');
  return headers;
}

const decoders: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** The body as the reply's content, decoded when the server compressed it anyway. */
function decodedBody(body: Readable, contentEncoding: string | string[] | undefined): Readable {
  const encoding = String(contentEncoding ?? 'identity')
    .trim()
    .toLowerCase();
  if (encoding === 'identity') return body;
  const decoder = decoders[encoding];
  if (!decoder) {
    body.destroy();
    throw new TypeError(`the upstream reply has an unsupported Content-Encoding: ${encoding}`);
  }
  // Either side failing (an abort destroys the body) destroys the other, so the reader sees it.
  return pipeline(body, decoder(), () => {});
}

function responseOf(reply: Dispatcher.ResponseData, url: string): Response {
  const { statusCode } = reply;
  // A body that fails before anyone reads it (dropped below, for one) must not become an uncaught
  // exception; a reader still gets the error through its own listener.
  reply.body.on('error', () => {});
  const body = decodedBody(reply.body, reply.headers['content-encoding']);
  const headers = new Headers();
  for (const [name, value] of Object.entries(reply.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const response = {
    ok: statusCode >= 200 && statusCode < 300,
    status: statusCode,
    statusText: STATUS_CODES[statusCode] ?? '',
    url,
    redirected: false,
    type: 'basic',
    headers,
    body,
    get bodyUsed() {
      return body.readableDidRead;
    },
    text: () => text(body),
    json: () => json(body),
    arrayBuffer: () => arrayBuffer(body),
    bytes: async () => new Uint8Array(await arrayBuffer(body)),
    blob: () => blob(body),
  };
  // The SDKs' types ask for a whole `Response`; they read only the members above (see the comment on top).
  return response as unknown as Response;
}
