import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type GatedOpenAiUpstream, startGatedOpenAiUpstream } from '../../fakes/gated-openai-upstream.ts';
import { openRawConnection, parseRawResponse } from '../../helpers/raw-connection.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';

const words = ['a ', 'reply ', 'that ', 'outlives ', 'the ', 'request ', 'timeout'];
const halfSentChat =
  'POST /v1/chat/completions HTTP/1.1\r\nHost: sluice\r\nContent-Type: application/json\r\n' +
  'Content-Length: 200\r\n\r\n{"model":"demo",';

/** Sends a request whose body never finishes; resolves with what the server answered before it closed. */
async function sendHalfABody(url: string) {
  const connection = await openRawConnection(url);
  connection.write(halfSentChat);
  return parseRawResponse(await connection.closed);
}

describe('request timeouts: slow clients are answered 408 and let go', () => {
  let sluice: TestSluice;
  let upstream: GatedOpenAiUpstream;
  before(async () => {
    upstream = await startGatedOpenAiUpstream({ words, beforeGate: 2 });
    sluice = await startTestSluice({
      server: { headers_timeout_ms: 200, request_timeout_ms: 300 },
      providers: { gated: { type: 'openai-compatible', base_url: upstream.baseUrl } },
      models: { gated: { target: { provider: 'gated', model: 'gated' } } },
    });
  });
  after(async () => {
    upstream?.open();
    await sluice?.close();
    await upstream?.stop();
  });

  it('answers a body that does not arrive within server.request_timeout_ms with 408 and closes the connection', async () => {
    const { status, headers, body } = await sendHalfABody(sluice.url);
    assert.equal(status, 408);
    assert.match(headers, /\r\nconnection: close\r\n/i);
    assert.deepEqual(body, {
      error: {
        message:
          'the request was not received in time (server.headers_timeout_ms, server.request_timeout_ms)',
        type: 'bad_request',
        param: null,
        code: 'bad_request',
      },
    });
    assert.ok(!sluice.logLines().some((line) => line.msg === 'request end'), 'no chat ran');
  });

  it('answers headers that do not arrive within server.headers_timeout_ms with 408', async () => {
    const connection = await openRawConnection(sluice.url);
    connection.write('GET /v1/models HTTP/1.1\r\nHost: sluice\r\n');
    assert.equal(parseRawResponse(await connection.closed).status, 408);
  });

  it('streams a reply for longer than server.request_timeout_ms: only receiving the request is timed', async () => {
    const response = await fetch(`${sluice.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gated', stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    assert.equal(response.status, 200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('"reply "')) text += (await reader.read()).value ?? '';
    // A request begun after the reply's is timed out: the reply is now older than the timeout as well.
    assert.equal((await sendHalfABody(sluice.url)).status, 408);
    upstream.open();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += chunk.value;
    const contents = text
      .split('\n\n')
      .filter((event) => event.startsWith('data: {'))
      .map(
        (event) =>
          JSON.parse(event.slice('data: '.length)) as { choices: Array<{ delta: { content?: string } }> },
      )
      .map((chunk) => chunk.choices[0]?.delta.content ?? '');
    assert.equal(contents.join(''), words.join(''));
    assert.ok(text.endsWith('data: [DONE]\n\n'), 'the stream ended as it should');
  });
});
