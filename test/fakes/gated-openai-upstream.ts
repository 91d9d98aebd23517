import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An OpenAI-compatible streaming upstream that a test holds mid-reply until it opens the gate. */
export interface GatedOpenAiUpstream {
  baseUrl: string;
  /** Chat completion calls received so far. */
  calls(): number;
  /** Lets every reply held at the gate (and every later one) run to its end. */
  open(): void;
  /** Holds replies at the gate again, for the next test. */
  close(): void;
  /** Calls whose connection is still open (a call Sluice aborted is closed). */
  openConnections(): number;
  /** The most calls that were open at once. */
  mostOpenAtOnce(): number;
  stop(): Promise<void>;
}

export interface GatedUpstreamOptions {
  /** The reply's words, one per chunk. */
  words: readonly string[];
  /** How many words are sent before the gate; the rest wait for `open()`. */
  beforeGate: number;
}

/**
 * Streams `words` as OpenAI chat completion chunks (with a usage chunk when asked), stopping after
 * `beforeGate` of them until the test opens the gate: a request that is certainly mid-stream,
 * without any timing.
 */
export async function startGatedOpenAiUpstream(options: GatedUpstreamOptions): Promise<GatedOpenAiUpstream> {
  let calls = 0;
  let gate = Promise.withResolvers<void>();
  let gateOpen = false;
  const open = new Set<ServerResponse>();
  let mostOpen = 0;

  const server: Server = createServer((request, response) => {
    if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
      response.writeHead(404).end();
      return;
    }
    calls++;
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => void reply(response, JSON.parse(body) as { model: string }));
  });

  const reply = async (response: ServerResponse, body: { model: string }) => {
    open.add(response);
    mostOpen = Math.max(mostOpen, open.size);
    response.on('close', () => open.delete(response));
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
      `data: ${JSON.stringify({
        id: 'chatcmpl-gated',
        object: 'chat.completion.chunk',
        created: 1_750_000_000,
        model: body.model,
        choices: [{ index: 0, delta, finish_reason: finishReason }],
      })}\n\n`;
    response.write(chunk({ role: 'assistant', content: '' }));
    for (const [index, word] of options.words.entries()) {
      if (index === options.beforeGate && !gateOpen) await gate.promise;
      if (response.destroyed) return;
      response.write(chunk({ content: word }));
    }
    response.write(chunk({}, 'stop'));
    const usage = { prompt_tokens: 10, completion_tokens: options.words.length };
    response.write(
      `data: ${JSON.stringify({ id: 'chatcmpl-gated', object: 'chat.completion.chunk', created: 1_750_000_000, model: body.model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } })}\n\n`,
    );
    response.end('data: [DONE]\n\n');
  };

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    calls: () => calls,
    open() {
      gateOpen = true;
      gate.resolve();
    },
    close() {
      gateOpen = false;
      gate = Promise.withResolvers<void>();
    },
    openConnections: () => open.size,
    mostOpenAtOnce: () => mostOpen,
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
