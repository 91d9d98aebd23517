import type { Dispatcher } from 'undici-types';

/** Where undici, the npm package and the copy bundled in Node alike, keeps the global dispatcher. */
const globalDispatcherKey = Symbol.for('undici.globalDispatcher.1');

/**
 * The dispatcher Node's own `fetch` sends with: the global `Agent` of the undici bundled in Node (or
 * one an application installed with undici's `setGlobalDispatcher`), with its connection pool.
 *
 * Why this one: the SDKs load Node's bundled undici in any case (they use the global `Headers` and
 * `FormData`), and the npm `undici` package beside it was a second copy in memory (~13 MiB).
 */
export function fetchDispatcher(): Dispatcher {
  const global = globalThis as unknown as Record<symbol, Dispatcher | undefined>;
  // Node's bundled undici installs its Agent when it is loaded, which the first use of fetch's globals does.
  if (global[globalDispatcherKey] === undefined) new Headers();
  const dispatcher = global[globalDispatcherKey];
  if (dispatcher === undefined) throw new Error('this Node.js has no global undici dispatcher');
  return dispatcher;
}

/** The handler methods of undici 6 (bundled in Node 22), which knows no others. */
interface LegacyDispatchHandler {
  onConnect(abort: (reason?: Error) => void): void;
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(rawTrailers: Buffer[] | null): void;
  onError(error: Error): void;
}

/** A request's controls, for a handler that undici 6 calls. */
class LegacyController implements Dispatcher.DispatchController {
  aborted = false;
  paused = false;
  reason: Error | null = null;
  abortWith: (reason?: Error) => void = () => {};
  resumeWith: () => void = () => {};

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.abortWith(reason);
  }

  /** undici 6 pauses when `onData` returns false. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.resumeWith();
  }
}

/** Raw header lines (name, value, name, value...) as the record the new handler methods get. */
function parseRawHeaders(raw: Buffer[] | null): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  if (!raw) return headers;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index]!.toString('latin1').toLowerCase();
    const value = raw[index + 1]!.toString('latin1');
    const earlier = headers[name];
    if (earlier === undefined) headers[name] = value;
    else if (Array.isArray(earlier)) earlier.push(value);
    else headers[name] = [earlier, value];
  }
  return headers;
}

/**
 * `handler` (undici's handler methods since undici 7: `onRequestStart`, `onResponseData`...) made a
 * handler any undici takes, by adding undici 6's methods (bundled in Node 22) to it, which call its
 * own: undici 7 and later call those directly.
 */
export function forAnyUndici<T extends Dispatcher.DispatchHandler>(handler: T): T & LegacyDispatchHandler {
  const controller = new LegacyController();
  const legacy: LegacyDispatchHandler = {
    onConnect(abort) {
      controller.abortWith = abort;
      handler.onRequestStart?.(controller, {});
    },
    onHeaders(statusCode, rawHeaders, resume, statusText) {
      controller.resumeWith = resume;
      handler.onResponseStart?.(controller, statusCode, parseRawHeaders(rawHeaders), statusText);
      return !controller.paused;
    },
    onData(chunk) {
      handler.onResponseData?.(controller, chunk);
      return !controller.paused;
    },
    onComplete(rawTrailers) {
      handler.onResponseEnd?.(controller, parseRawHeaders(rawTrailers));
    },
    onError(error) {
      handler.onResponseError?.(controller, error);
    },
  };
  return Object.assign(handler, legacy);
}
