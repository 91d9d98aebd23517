import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

/** What one reply streams: `tokens` content chunks, each stream pacing them at one gap drawn from the range. */
export interface LoadShape {
  tokens: number;
  minGapMs: number;
  maxGapMs: number;
  /** Characters of each token's text; absent means English words of about four characters. */
  tokenChars?: number;
}

/** The prompt that asks the fake for a reply of this shape; Sluice forwards it unchanged. */
export function formatLoadPrompt(shape: LoadShape): string {
  const size = shape.tokenChars === undefined ? '' : ` token_chars=${shape.tokenChars}`;
  return `tokens=${shape.tokens} gap_ms=${shape.minGapMs}-${shape.maxGapMs}${size}`;
}

/** Reads a reply shape from a prompt made by `formatLoadPrompt`. */
export function parseLoadPrompt(prompt: string): LoadShape | undefined {
  const match = /tokens=(\d+) gap_ms=(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)(?: token_chars=(\d+))?/.exec(prompt);
  if (!match) return undefined;
  const shape: LoadShape = {
    tokens: Number(match[1]),
    minGapMs: Number(match[2]),
    maxGapMs: Number(match[3]),
  };
  if (match[4] !== undefined) shape.tokenChars = Number(match[4]);
  const valid = shape.tokens >= 1 && shape.minGapMs <= shape.maxGapMs && shape.tokenChars !== 0;
  return valid ? shape : undefined;
}

/** A running fake upstream. */
export interface FakeLoadUpstream {
  /** The API root, as a provider's `base_url` (ends in `/v1`). */
  baseUrl: string;
  /** How many replies it has started streaming. */
  repliesStarted(): number;
  close(): Promise<void>;
}

// Average English tokens of about four characters, so frames are the size a real reply's are.
const vocabulary =
  ' The quick brown fox jumps over the lazy dog while a stream of tokens flows through the gateway to a waiting chat client, one small piece at a time, and nobody notices any delay at all because every step is cheap'.split(
    /(?= )/,
  );

const promptTokens = 24;

/** One SSE event as bytes. */
const event = (data: unknown) => Buffer.from(`data: ${JSON.stringify(data)}\n\n`);

/** OpenAI's chunk around a list of choices; `usage` is null on every chunk but the last when asked for. */
function chunk(choices: unknown[], usage: unknown = null) {
  return {
    id: 'chatcmpl-BbenchFakeLoadUpstream000000',
    object: 'chat.completion.chunk',
    created: 1_750_000_000,
    model: 'bench-model-2025-01-01',
    service_tier: 'default',
    system_fingerprint: 'fp_bench0000',
    choices,
    usage,
    obfuscation: 'x8Zq',
  };
}

const choice = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
  index: 0,
  delta,
  logprobs: null,
  finish_reason: finishReason,
});

// Encoded once: a reply only picks ready-made buffers, so the fake costs little next to Sluice.
const roleChunk = event(chunk([choice({ role: 'assistant', content: '', refusal: null })]));
const tokenChunksBySize = new Map<number | undefined, Buffer[]>();

/** The encoded token chunks for a token size, made on first use. */
function tokenChunksOf(tokenChars: number | undefined): Buffer[] {
  let chunks = tokenChunksBySize.get(tokenChars);
  if (!chunks) {
    const texts =
      tokenChars === undefined
        ? vocabulary
        : vocabulary.map((word) => word.repeat(Math.ceil(tokenChars / word.length)).slice(0, tokenChars));
    chunks = texts.map((text) => event(chunk([choice({ content: text })])));
    tokenChunksBySize.set(tokenChars, chunks);
  }
  return chunks;
}

const finishChunk = event(chunk([choice({}, 'stop')]));
const doneEvent = Buffer.from('data: [DONE]\n\n');
const usageChunks = new Map<number, Buffer>();

function usageChunk(tokens: number): Buffer {
  let encoded = usageChunks.get(tokens);
  if (!encoded) {
    encoded = event(
      chunk([], {
        prompt_tokens: promptTokens,
        completion_tokens: tokens,
        total_tokens: promptTokens + tokens,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      }),
    );
    usageChunks.set(tokens, encoded);
  }
  return encoded;
}

function refuse(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: null } }),
  );
}

interface ChatBody {
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages?: Array<{ content?: unknown }>;
}

/**
 * Streams one reply: the role chunk and the first token at once (so time to first token measures the
 * relay, not the fake), then one token per gap on a single interval timer for the whole stream.
 */
function streamReply(response: ServerResponse, shape: LoadShape, includeUsage: boolean): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  const tokenChunks = tokenChunksOf(shape.tokenChars);
  let sent = 1;
  const finish = () => {
    const ending = includeUsage
      ? [finishChunk, usageChunk(shape.tokens), doneEvent]
      : [finishChunk, doneEvent];
    response.end(Buffer.concat(ending));
  };
  response.write(Buffer.concat([roleChunk, tokenChunks[0]!]));
  if (sent === shape.tokens) {
    finish();
    return;
  }
  const gapMs = shape.minGapMs + Math.random() * (shape.maxGapMs - shape.minGapMs);
  const timer = setInterval(() => {
    response.write(tokenChunks[sent % tokenChunks.length]!);
    sent++;
    if (sent === shape.tokens) {
      clearInterval(timer);
      finish();
    }
  }, gapMs);
  response.on('close', () => clearInterval(timer));
}

/** Answers one request; true when it started streaming a reply. */
async function handle(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
  if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
    refuse(response, 404, `no route ${request.method} ${request.url}`);
    return false;
  }
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  let body: ChatBody;
  try {
    body = JSON.parse(Buffer.concat(parts).toString()) as ChatBody;
  } catch {
    refuse(response, 400, 'body is not JSON');
    return false;
  }
  const prompt = body.messages?.at(-1)?.content;
  const shape = typeof prompt === 'string' ? parseLoadPrompt(prompt) : undefined;
  if (!shape) {
    refuse(response, 400, 'the last message must say "tokens=<n> gap_ms=<min>-<max>"');
    return false;
  }
  if (body.stream !== true) {
    refuse(response, 400, 'the load upstream only streams');
    return false;
  }
  streamReply(response, shape, body.stream_options?.include_usage === true);
  return true;
}

/** Starts a fast OpenAI-compatible streaming upstream whose replies are shaped by the prompt. */
export async function startFakeLoadUpstream(options: { host?: string; port?: number } = {}) {
  let replies = 0;
  const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
    handle(request, response).then(
      (streaming) => {
        if (streaming) replies++;
      },
      () => response.destroy(),
    );
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1', 4096);
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  const upstream: FakeLoadUpstream = {
    baseUrl: `http://${address}:${port}/v1`,
    repliesStarted: () => replies,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  return upstream;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
  const upstream = await startFakeLoadUpstream({ port: Number(values.port) });
  process.stdout.write(`${JSON.stringify({ baseUrl: upstream.baseUrl })}\n`);
  process.once('SIGTERM', () => void upstream.close().then(() => process.exit(0)));
}
