import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/log/create-logger.ts';
import type { Gateway } from '../../../src/pipeline/create-gateway.ts';
import type { ChatContext, EventSink } from '../../../src/pipeline/request-record.ts';
import { serveChat } from '../../../src/pipeline/serve-chat.ts';
import type { ChatRequest } from '../../../src/spec/chat-request.ts';
import { collectEvents, identity } from './pipeline-fixture.ts';

const request: ChatRequest = { id: 'client-1', model: 'demo', messages: [{ role: 'user', content: 'Hi' }] };
const done = {
  type: 'done',
  finishReason: 'stop',
  usage: { inputTokens: 1, outputTokens: 1, estimated: false },
  quota: {},
} as const;

/** Serves the request through a gateway whose pipeline is `runChat`, logging into `lines`. */
function serveThrough(
  runChat: (context: ChatContext, emit: EventSink) => Promise<void>,
  traceparent?: string,
) {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level: 'info',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  const gateway: Pick<Gateway, 'runChat'> = { runChat: (_request, context, emit) => runChat(context, emit) };
  const chat = serveChat({ gateway, request, identity, log, clientRequestId: request.id, traceparent });
  return { chat, lines };
}

describe('serveChat: the per-request set-up both doors share', () => {
  it("gives the pipeline the request's id, its logger, its controller's signal and the trace context", async () => {
    let seen: ChatContext | undefined;
    const { chat, lines } = serveThrough(async (context, emit) => {
      seen = context;
      context.log.info('inside');
      await emit(done);
    }, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const sink = collectEvents();
    await chat.run(sink.emit);
    assert.match(chat.requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'a UUID v7');
    assert.equal(seen?.requestId, chat.requestId);
    assert.equal(seen?.signal, chat.controller.signal);
    assert.equal(seen?.identity, identity);
    assert.equal(seen?.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const line = lines.find((each) => each.msg === 'inside');
    assert.equal(line?.request_id, chat.requestId);
    assert.equal(line?.client_request_id, 'client-1');
    assert.deepEqual(sink.types(), ['done'], 'a request that ended sends nothing more');
  });

  it('ends a request whose pipeline throws with one internal error, logged, and resolves', async () => {
    const { chat, lines } = serveThrough(async (_context, emit) => {
      await emit({ type: 'text-delta', text: 'Hel' });
      throw new Error('a bug in a stage');
    });
    const sink = collectEvents();
    await chat.run(sink.emit);
    assert.deepEqual(sink.types(), ['text-delta', 'error']);
    const [, failure] = sink.events;
    assert.equal(failure?.type === 'error' && failure.error.code, 'internal');
    const logged = lines.find((line) => line.msg === 'request failed inside the pipeline');
    assert.equal((logged?.err as { message?: string })?.message, 'a bug in a stage');
  });

  it('sends no second terminal event when the pipeline throws after its end', async () => {
    const { chat } = serveThrough(async (_context, emit) => {
      await emit(done);
      throw new Error('failed after the end');
    });
    const sink = collectEvents();
    await chat.run(sink.emit);
    assert.deepEqual(sink.types(), ['done']);
  });

  it('ends a request whose pipeline returned without a terminal event with an internal error', async () => {
    const { chat } = serveThrough(async () => {});
    const sink = collectEvents();
    await chat.run(sink.emit);
    assert.deepEqual(sink.types(), ['error']);
  });

  it('resolves even when the sink fails on the internal error too', async () => {
    const { chat, lines } = serveThrough(async () => {
      throw new Error('a bug in a stage');
    });
    await chat.run(() => {
      throw new Error('the door broke');
    });
    assert.ok(lines.some((line) => line.msg === 'sending the internal error failed'));
  });
});
