import { STATUS_CODES } from 'node:http';
import { pipeline, Readable, type Transform } from 'node:stream';
import { arrayBuffer, blob, json, text } from 'node:stream/consumers';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Dispatcher } from 'undici-types';
import { fetchDispatcher, forAnyUndici } from './fetch-dispatcher.ts';

/** What the provider SDKs' `fetch` client option takes. */
export type SdkFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Where a reply's network reads go, one call per read, as they come off the socket. */
export interface ReplyReads {
  data(chunk: Buffer): void;
  end(): void;
  error(error: Error): void;
}

/** What the one taker of a reply's reads can do with them. */
export interface ReplyFlow {
  /** Stops reading from the socket, so the upstream feels the pressure. */
  pause(): void;
  /** Reads on (first handing over what came before the reads were taken). */
  resume(): void;
  /** Reads the rest of the body and drops it, so the connection is kept for the next request. */
  drain(): void;
  /** Closes the connection; nothing more is handed over. */
  close(): void;
}

/**
 * A `fetch` for the provider SDKs' `fetch` client option, made with the undici dispatcher (the same
 * client and connection pool as Node's own fetch) instead of fetch itself.
 *
 * Why: fetch hands every network read of a streamed reply through WHATWG streams, several promises
 * per token, and even a Node stream costs a `data` event and a `nextTick` per read. Here each read
 * goes from undici's handler straight to the one reader that takes the body's reads (`ReplyBody`),
 * which is how Sluice's event reader reads a streamed reply; the body is a Node stream as well for
 * whoever reads it as one (the SDKs, for an error body or a whole reply).
 *
 * The response has the members of a `Response` the SDKs and Sluice's readers use: `ok`, `status`,
 * `statusText`, `headers`, `url`, `body` (an async-iterable Node stream), `bodyUsed` and the body
 * readers. Differences from fetch, none of which an LLM API relies on: redirects are not followed
 * (a 3xx reaches the SDK as an error status), replies are asked for uncompressed (`Accept-Encoding:
 * identity`; one compressed anyway is still decoded), and a request body other than a string or bytes
 * goes through Node's own fetch.
 */
export function createFetchOverUndiciDispatcher(): SdkFetch {
  return async (input, init = {}) => {
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      return fetch(input, init);
    }
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const signal = init.signal ?? undefined;
    if (signal?.aborted) throw signal.reason;
    const reply = new ReplyHandler(url.href, signal);
    // The connection pool (and any proxy agent) Node's own fetch uses.
    fetchDispatcher().dispatch(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: normalizedMethod(init.method),
        headers: requestHeaders(init.headers),
        body,
      },
      forAnyUndici(reply),
    );
    return reply.response.promise;
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

/** Reads that arrive with nobody to take them are held up to this many bytes before the socket is paused. */
const heldBytesLimit = 64 * 1024;

const dropReads: ReplyReads = { data() {}, end() {}, error() {} };

/** Why a request is aborted when its reader leaves: an `AbortError`, as undici's own. */
const readerLeft = () =>
  Object.assign(new Error('the reply body was closed before its end'), { name: 'AbortError' });

/**
 * One request's undici handler: it answers the fetch at the response headers, then hands each network
 * read to whoever took the body's reads, holding them until someone does.
 */
class ReplyHandler implements Dispatcher.DispatchHandler, ReplyFlow {
  readonly response = Promise.withResolvers<Response>();
  readonly #url: string;
  readonly #signal: AbortSignal | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #body: ReplyBody | undefined;
  #responded = false;
  /** The response ended or failed: the controller no longer belongs to it. */
  #over = false;
  #reads: ReplyReads | undefined;
  #held: Buffer[] = [];
  #heldBytes = 0;
  /** The response ended before anyone took its reads. */
  #endHeld = false;
  /** The taker asked for a pause. */
  #paused = false;

  constructor(url: string, signal: AbortSignal | undefined) {
    this.#url = url;
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort);
  }

  readonly #onAbort = (): void => {
    this.#controller?.abort(this.#signal!.reason);
  };

  /** Hands the reads to `reads` and gives the flow of them, or undefined when someone took them already. */
  take(reads: ReplyReads): ReplyFlow | undefined {
    if (this.#reads) return undefined;
    this.#reads = reads;
    return this;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    // The signal aborted while the request waited for a connection.
    if (this.#signal?.aborted) controller.abort(this.#signal.reason);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // An informational (1xx) reply comes before the real one.
    if (statusCode < 200) return;
    const encoding = String(headers['content-encoding'] ?? 'identity')
      .trim()
      .toLowerCase();
    // Own entries only: an upstream's `Content-Encoding: constructor` must not find Object's.
    const decoder = Object.hasOwn(decoders, encoding) ? decoders[encoding] : undefined;
    // Thrown here, undici aborts the request with it and so rejects the fetch.
    if (encoding !== 'identity' && !decoder) {
      throw new TypeError(`the upstream reply has an unsupported Content-Encoding: ${encoding}`);
    }
    const replyBody = new ReplyBody(this);
    this.#body = replyBody;
    // A body that fails before anyone reads it (dropped below, for one) must not become an uncaught
    // exception; a reader still gets the error through its own listener.
    replyBody.on('error', ignore);
    // Either side failing (an abort destroys the body) destroys the other, so the reader sees it.
    const body = decoder ? pipeline(replyBody, decoder(), ignore) : replyBody;
    this.#responded = true;
    this.response.resolve(responseOf(statusCode, headers, body, this.#url));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#reads) {
      this.#reads.data(chunk);
      return;
    }
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
    if (this.#heldBytes >= heldBytesLimit) controller.pause();
  }

  onResponseEnd(): void {
    this.#finish();
    if (this.#reads) this.#reads.end();
    else this.#endHeld = true;
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#finish();
    if (!this.#responded) this.response.reject(error);
    else if (this.#reads) this.#reads.error(error);
    else {
      // Nobody took the reads yet: the body fails as undici's own does, whatever it held lost.
      this.#reads = dropReads;
      this.#body?.destroy(error);
    }
  }

  #finish(): void {
    this.#over = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  pause(): void {
    this.#paused = true;
    if (!this.#over) this.#controller?.pause();
  }

  resume(): void {
    this.#paused = false;
    if (this.#held.length > 0) {
      const held = this.#held;
      this.#held = [];
      this.#heldBytes = 0;
      // The taker may close or drain while it reads them: then the rest is dropped.
      for (const chunk of held) this.#reads!.data(chunk);
    }
    if (this.#endHeld) {
      this.#endHeld = false;
      this.#reads!.end();
    }
    // Resuming only a request still running: its parser may be reading the connection's next reply.
    if (!this.#over && !this.#paused) this.#controller?.resume();
  }

  drain(): void {
    this.#reads = dropReads;
    this.#held = [];
    this.#paused = false;
    if (!this.#over) this.#controller?.resume();
  }

  close(): void {
    this.#reads = dropReads;
    this.#held = [];
    this.abort(readerLeft());
  }

  /** Aborts the request (closing the connection); whoever has the reads gets `error`. */
  abort(reason: Error): void {
    if (!this.#over) this.#controller?.abort(reason);
  }
}

/** A handler that does nothing with what it is given. */
function ignore(): void {}

/**
 * The body of a reply: a Node stream for whoever reads it as one, or, through `takeReads`, its
 * network reads handed straight to one reader, without a stream's `push`, `data` event and
 * `nextTick` per read. Destroying it closes the connection.
 */
export class ReplyBody extends Readable {
  readonly #handler: ReplyHandler;
  #flow: ReplyFlow | undefined;

  constructor(handler: ReplyHandler) {
    super();
    this.#handler = handler;
  }

  /**
   * Hands the body's network reads to `reads` as they come and gives their flow (nothing is handed
   * over before its first `resume()`), or undefined when the body is already read as a stream or failed.
   */
  takeReads(reads: ReplyReads): ReplyFlow | undefined {
    return this.destroyed ? undefined : this.#handler.take(reads);
  }

  override _read(): void {
    if (!this.#flow) {
      this.#flow = this.#handler.take({
        data: (chunk) => {
          if (!this.push(chunk)) this.#flow!.pause();
        },
        end: () => this.push(null),
        error: (error) => this.destroy(error),
      });
      if (!this.#flow) {
        this.destroy(new TypeError('the reply body is already being read'));
        return;
      }
    }
    this.#flow.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A reader that took the reads learns of it through their `error`, as it would from the stream.
    this.#handler.abort(error ?? readerLeft());
    callback(error);
  }
}

function responseOf(
  statusCode: number,
  replyHeaders: Record<string, string | string[] | undefined>,
  body: Readable,
  url: string,
): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(replyHeaders)) {
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
