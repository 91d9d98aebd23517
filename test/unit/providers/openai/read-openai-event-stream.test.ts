import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { readOpenAiEventStream } from '../../../../providers/openai/read-openai-event-stream.ts';
import { startOnFirstPart } from '../../../../providers/shared/start-on-first-part.ts';

/** One Chat Completions event carrying `content`. */
function delta(content: string): string {
  return `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
}
const finishEvent = `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`;

/** A response whose body is a Node stream the test writes network reads into. */
function nodeResponse(): { response: Response; body: PassThrough } {
  const body = new PassThrough();
  return { response: { body, headers: new Headers() } as unknown as Response, body };
}

/** Writes one network read and lets the reader see it. */
async function read(body: PassThrough, text: string): Promise<void> {
  body.write(text);
  await turn();
}

describe('readOpenAiEventStream', () => {
  it('pauses the body while a consumer that stopped asking falls behind, and resumes when it asks again', async () => {
    const { response, body } = nodeResponse();
    const parts = readOpenAiEventStream(response);
    const first = parts.next();
    await read(body, delta('a'));
    assert.deepEqual(await first, { done: false, value: { type: 'text-delta', text: 'a' } });

    await read(body, delta('b'));
    await read(body, delta('c'));
    await read(body, delta('d'));

    assert.equal(body.isPaused(), true);
    assert.ok(body.readableLength > 0, 'the read after the pause stays in the body');
    for (const text of ['b', 'c', 'd']) {
      assert.deepEqual(await parts.next(), { done: false, value: { type: 'text-delta', text } });
    }
    const next = parts.next();
    assert.equal(body.isPaused(), false);
    await read(body, delta('e'));
    assert.deepEqual(await next, { done: false, value: { type: 'text-delta', text: 'e' } });
  });

  it('return() before the end destroys the body', async () => {
    const { response, body } = nodeResponse();
    const parts = readOpenAiEventStream(response);
    const first = parts.next();
    await read(body, delta('a') + delta('b'));
    await first;

    assert.deepEqual(await parts.return?.(), { done: true, value: undefined });
    assert.equal(body.destroyed, true);
    assert.deepEqual(await parts.next(), { done: true, value: undefined });
  });

  it('after [DONE] leaves the body to drain, not destroyed, for the connection to be kept', async () => {
    const { response, body } = nodeResponse();
    const parts = readOpenAiEventStream(response);
    const first = parts.next();
    await read(body, `${delta('a')}${finishEvent}data: [DONE]\n\n`);

    assert.deepEqual(await first, { done: false, value: { type: 'text-delta', text: 'a' } });
    assert.equal((await parts.next()).value?.type, 'finish');
    assert.deepEqual(await parts.return?.(), { done: true, value: undefined });
    assert.equal(body.destroyed, false);
    assert.equal(body.isPaused(), false);
  });

  it('an error from the body after the first part becomes one error part', async () => {
    const { response, body } = nodeResponse();
    const controller = new AbortController();
    const opening = startOnFirstPart(readOpenAiEventStream(response), controller.signal);
    await read(body, delta('a'));
    const parts = (await opening)[Symbol.asyncIterator]();
    assert.deepEqual(await parts.next(), { done: false, value: { type: 'text-delta', text: 'a' } });

    const next = parts.next();
    body.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    const result = await next;

    assert.equal(result.value?.type, 'error');
    assert.equal(result.value.type === 'error' && result.value.error.code, 'upstream_error');
    assert.match(String(result.value.type === 'error' && result.value.error.message), /ECONNRESET/);
    assert.deepEqual(await parts.next(), { done: true, value: undefined });
  });

  it('a body that failed before the first next() rejects with its error', async () => {
    const { response, body } = nodeResponse();
    body.on('error', () => {});
    body.destroy(new Error('socket hang up'));
    await turn();

    await assert.rejects(readOpenAiEventStream(response).next(), /socket hang up/);
  });

  it('hands out the parts read before malformed JSON, then fails and closes the body', async () => {
    const { response, body } = nodeResponse();
    const parts = readOpenAiEventStream(response);
    const first = parts.next();
    await read(body, `${delta('a')}data: {not json\n\n${delta('b')}`);

    assert.deepEqual(await first, { done: false, value: { type: 'text-delta', text: 'a' } });
    await assert.rejects(parts.next(), /malformed server-sent event JSON/);
    assert.equal(body.destroyed, true);
    assert.deepEqual(await parts.next(), { done: true, value: undefined });
  });

  it('reads a web stream body too, from any other fetch', async () => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(delta('a') + delta('b').slice(0, 9)));
        controller.enqueue(encoder.encode(delta('b').slice(9) + finishEvent));
        controller.enqueue(encoder.encode('data: [DONE]\n\n'));
        controller.close();
      },
    });
    const parts = readOpenAiEventStream(new Response(body));

    const seen = [];
    for await (const part of parts) seen.push(part.type === 'text-delta' ? part.text : part.type);

    assert.deepEqual(seen, ['a', 'b', 'finish']);
  });
});
