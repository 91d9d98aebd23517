import type { ServerResponse } from 'node:http';
import { startFakeHttpServer } from './fake-http-server.ts';

/** How one call to the fake ended: its reply ran to `[DONE]`, or Sluice closed it before. */
export type CallEnding = 'finished' | 'cut';

/** An OpenAI-compatible streaming upstream that is slow to its first token, then trickles. */
export interface SlowStartOpenAiUpstream {
  baseUrl: string;
  /** Chat completion calls received so far. */
  calls(): number;
  /** Resolves once the `index`-th call (from 0) has received its first token. */
  firstTokenSent(index: number): Promise<void>;
  /** Resolves with how the `index`-th call (from 0) ended. */
  ending(index: number): Promise<CallEnding>;
  close(): Promise<void>;
}

export interface SlowStartOptions {
  /** How long after the request arrives the first token is sent (the headers go at once). */
  firstTokenAfterMs: number;
  /** The pace of the tokens after the first. */
  tokenEveryMs: number;
  /** When the reply finishes (`stop`, then `[DONE]`), counted from the first token; absent: never. */
  doneAfterFirstTokenMs?: number;
}

/** The promise of one call's event, made by whichever side (the call, or the test) asks first. */
function lazyPromises<T>() {
  const made = new Map<number, PromiseWithResolvers<T>>();
  return (index: number) => {
    let entry = made.get(index);
    if (!entry) {
      entry = Promise.withResolvers<T>();
      made.set(index, entry);
    }
    return entry;
  };
}

/**
 * Starts the fake on a loopback port. It answers every `POST /v1/chat/completions` with an SSE stream
 * whose first token comes late and whose later tokens trickle, to the time limits a test sets, and
 * records whether each call ran to its end or was closed by Sluice first.
 */
export async function startSlowStartOpenAiUpstream(
  options: SlowStartOptions,
): Promise<SlowStartOpenAiUpstream> {
  let calls = 0;
  const firstTokens = lazyPromises<void>();
  const endings = lazyPromises<CallEnding>();

  const reply = (index: number, model: string, response: ServerResponse) => {
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
      `data: ${JSON.stringify({
        id: `chatcmpl-slow-${index}`,
        object: 'chat.completion.chunk',
        created: 1_750_000_000,
        model,
        choices: [{ index: 0, delta, finish_reason: finishReason }],
      })}\n\n`;
    const timers: NodeJS.Timeout[] = [];
    let finished = false;
    response.on('close', () => {
      for (const timer of timers) clearTimeout(timer);
      endings(index).resolve(finished ? 'finished' : 'cut');
    });
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.flushHeaders();
    let words = 0;
    const firstToken = setTimeout(() => {
      response.write(chunk({ role: 'assistant', content: 'first' }));
      firstTokens(index).resolve();
      timers.push(
        setInterval(() => response.write(chunk({ content: ` w${++words}` })), options.tokenEveryMs),
      );
      if (options.doneAfterFirstTokenMs === undefined) return;
      const done = setTimeout(() => {
        finished = true;
        response.write(chunk({}, 'stop'));
        response.end('data: [DONE]\n\n');
      }, options.doneAfterFirstTokenMs);
      timers.push(done);
    }, options.firstTokenAfterMs);
    timers.push(firstToken);
  };

  const server = await startFakeHttpServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
      response.writeHead(404).end();
      return;
    }
    reply(calls++, (request.json as { model: string }).model, response);
  });
  return {
    baseUrl: `${server.url}/v1`,
    calls: () => calls,
    firstTokenSent: (index) => firstTokens(index).promise,
    ending: (index) => endings(index).promise,
    close: () => server.close(),
  };
}
