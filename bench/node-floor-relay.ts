import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createParser } from 'eventsource-parser';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';

/**
 * The least a Node relay doing Sluice's per-token work costs: the `--floor` rows' yardstick. It
 * speaks as much of `sluice.v1` as the load generator uses (`ready`, `chat` in; `start`, `delta`,
 * `done` out), calls the OpenAI-compatible upstream over `node:http` with keep-alive, parses its SSE
 * with eventsource-parser and each chunk with `JSON.parse`, and sends one `delta` frame per token with
 * `ws`, and nothing else: no auth, quota, ledger, log, metrics, hooks, cache, resume or timeouts. What
 * Sluice costs beyond this row is its gateway's own work; what this row costs beyond nginx is Node's.
 *
 * Started by `run-bench.ts` from `dist/` with `npm start`'s node flags, as Sluice is, with the
 * upstream's API root as its argument; prints `{"port":<n>}` once listening on 127.0.0.1.
 */

interface ChatFrame {
  type: string;
  id: string;
  messages: unknown[];
}

interface OpenAiChunk {
  choices: Array<{ delta?: { content?: string | null } }>;
  usage?: { completion_tokens?: number } | null;
}

const upstreamRoot = process.argv[2];
if (!upstreamRoot) throw new Error('usage: node-floor-relay.js <upstream API root>');
const completionsUrl = new URL(
  'chat/completions',
  upstreamRoot.endsWith('/') ? upstreamRoot : `${upstreamRoot}/`,
);
const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

function relay(socket: WebSocket, chat: ChatFrame): void {
  const id = JSON.stringify(chat.id);
  const head = `{"type":"delta","id":${id},"seq":`;
  let seq = 0;
  let outputTokens = 0;
  const body = JSON.stringify({
    model: 'bench-model',
    messages: chat.messages,
    stream: true,
    stream_options: { include_usage: true },
  });
  const fail = (message: string) =>
    socket.send(JSON.stringify({ type: 'error', id: chat.id, code: 'upstream_error', message }));
  const call = request(
    completionsUrl,
    {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    },
    (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        fail(`upstream answered ${response.statusCode}`);
        return;
      }
      socket.send(`{"type":"start","id":${id},"model":"bench-model","provider":"floor","cached":false}`);
      const parser = createParser({
        onEvent(event) {
          if (event.data === '[DONE]') {
            const usage = { input_tokens: 0, output_tokens: outputTokens };
            socket.send(
              JSON.stringify({ type: 'done', id: chat.id, seq: ++seq, finish_reason: 'stop', usage }),
            );
            return;
          }
          const chunk = JSON.parse(event.data) as OpenAiChunk;
          const text = chunk.choices[0]?.delta?.content;
          if (text) socket.send(`${head}${++seq},"text":${JSON.stringify(text)}}`);
          if (chunk.usage?.completion_tokens !== undefined) outputTokens = chunk.usage.completion_tokens;
        },
      });
      response.setEncoding('utf8');
      response.on('data', (text: string) => parser.feed(text));
      response.on('error', (error) => fail(error.message));
    },
  );
  call.on('error', (error) => fail(error.message));
  call.end(body);
}

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: false,
  handleProtocols: () => 'sluice.v1',
});
server.on('connection', (socket) => {
  socket.send(
    JSON.stringify({ type: 'ready', protocol: 'sluice.v1', user: 'floor', limits: {}, models: ['bench'] }),
  );
  socket.on('message', (data: RawData) => {
    const frame = JSON.parse(String(data)) as ChatFrame;
    if (frame.type === 'chat') relay(socket, frame);
  });
});
server.on('listening', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
