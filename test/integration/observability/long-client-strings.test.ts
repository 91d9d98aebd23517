import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';
import { until } from '../../helpers/until.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

const mebibyte = 1_048_576;
/** A few lines of a few hundred bytes each: what one refused request may log. */
const logBound = 4096;
const hello = [{ role: 'user', content: 'Hi there' }];

describe("a client's long strings in logs and error messages", () => {
  let sluice: TestSluice;
  before(async () => {
    sluice = await startTestSluice({ server: { max_frame_bytes: 2 * mebibyte } });
  });
  after(() => sluice.close());

  const requestEnds = () => sluice.logLines().filter((line) => line.event === 'request_end').length;

  it('logs a few KB, and answers a bounded not_found, for a WebSocket chat whose model name is 1 MiB', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    const logged = sluice.rawLog().length;
    const ended = requestEnds();
    client.send({ type: 'chat', id: 'long', model: 'm'.repeat(mebibyte), messages: hello });
    const [error] = await client.collect('long');
    assert.equal(error?.code, 'not_found');
    assert.match(String(error?.message), /^unknown model "m{200}…\(\+1048376 chars\)"$/);
    await until(() => requestEnds() > ended);
    const written = sluice.rawLog().length - logged;
    assert.ok(written < logBound, `${written} bytes of log for one refused request`);
    await client.close();
  });

  it('answers a frame whose type is 1 MiB with a bounded bad_request', async () => {
    const client = await connectTestClient(sluice.wsUrl);
    client.send({ type: 't'.repeat(mebibyte), id: 'odd' });
    const [error] = await client.collect('odd');
    assert.equal(error?.code, 'bad_request');
    assert.match(String(error?.message), /^unknown frame type "t{200}…\(\+1048376 chars\)"$/);
    await client.close();
  });

  it('logs a few KB, and answers a bounded 404, for an HTTP chat whose model name fills a 4 MiB body', async () => {
    const logged = sluice.rawLog().length;
    const ended = requestEnds();
    const body = JSON.stringify({ model: '', messages: hello });
    const model = 'm'.repeat(4 * mebibyte - Buffer.byteLength(body));
    const response = await fetch(`${sluice.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: hello }),
    });
    assert.equal(response.status, 404);
    const answer = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(answer.error.code, 'not_found');
    assert.ok(
      answer.error.message.length < 300,
      `an error message of ${answer.error.message.length} characters`,
    );
    await until(() => requestEnds() > ended);
    const written = sluice.rawLog().length - logged;
    assert.ok(written < logBound, `${written} bytes of log for one refused request`);
  });
});
