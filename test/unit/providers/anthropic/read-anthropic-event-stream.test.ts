import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { readAnthropicEventStream } from '../../../../providers/anthropic/read-anthropic-event-stream.ts';

const event = (name: string, data: object) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const textDelta = (text: string) =>
  event('content_block_delta', {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text },
  });
const messageStop = event('message_stop', { type: 'message_stop' });

/** A response whose body is a Node stream the test writes network reads into. */
function reader() {
  const body = new PassThrough();
  const response = { body, headers: new Headers() } as unknown as Response;
  return { body, parts: readAnthropicEventStream(response, 'sk-secret') };
}

describe('readAnthropicEventStream', () => {
  it('skips ping, unnamed and empty events, as the SDK does', async () => {
    const { body, parts } = reader();
    const first = parts.next();
    body.write(
      `${event('ping', { type: 'ping' })}data: {"type":"ping"}\n\nevent: content_block_stop\n\n${textDelta('a')}`,
    );
    assert.deepEqual(await first, { done: false, value: { type: 'text-delta', text: 'a' } });
  });

  it('ends at message_stop without waiting for the body, and leaves the body to drain for the connection', async () => {
    const { body, parts } = reader();
    const first = parts.next();
    body.write(textDelta('a') + messageStop);

    assert.deepEqual(await first, { done: false, value: { type: 'text-delta', text: 'a' } });
    assert.equal((await parts.next()).value?.type, 'finish');
    assert.deepEqual(await parts.next(), { done: true, value: undefined });
    // The connection dropping after message_stop no longer matters.
    body.destroy(new Error('socket hang up'));
    await turn();
    assert.deepEqual(await parts.return?.(), { done: true, value: undefined });
  });

  it('fails with the classified error of an error event, the key kept out', async () => {
    const { body, parts } = reader();
    const first = parts.next();
    const overloaded = {
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded sk-secret' },
    };
    body.write(textDelta('a') + event('error', overloaded));

    assert.deepEqual(await first, { done: false, value: { type: 'text-delta', text: 'a' } });
    await assert.rejects(parts.next(), (error: Error & { code?: string; retryable?: boolean }) => {
      assert.equal(error.code, 'upstream_error');
      assert.equal(error.retryable, true);
      assert.match(error.message, /overloaded_error: Overloaded \[redacted\]/);
      return true;
    });
    assert.equal(body.destroyed, true);
  });
});
