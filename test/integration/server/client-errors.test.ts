import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openRawConnection, parseRawResponse } from '../../helpers/raw-connection.ts';
import { startTestSluice, type TestSluice } from '../../helpers/start-test-sluice.ts';

describe('requests Node cannot parse: an HTTP error with a JSON body, then the connection closes', () => {
  let sluice: TestSluice;
  before(async () => {
    sluice = await startTestSluice();
  });
  after(async () => {
    await sluice?.close();
  });

  it('answers garbage with 400 bad_request and closes the connection', async () => {
    const connection = await openRawConnection(sluice.url);
    connection.write('HELLO THERE\r\n\r\n');
    const { status, headers, body } = parseRawResponse(await connection.closed);
    assert.equal(status, 400);
    assert.match(headers, /\r\ncontent-type: application\/json\r\n/i);
    const { error } = body as { error: { code: string; type: string; message: string } };
    assert.equal(error.code, 'bad_request');
    assert.equal(error.type, 'bad_request');
    assert.match(error.message, /^the request is not valid HTTP\/1\.1: /);
  });

  it('answers headers over the size limit with 431 too_large', async () => {
    const connection = await openRawConnection(sluice.url);
    connection.write(`GET /healthz HTTP/1.1\r\nHost: sluice\r\nX-Padding: ${'a'.repeat(100_000)}\r\n\r\n`);
    const { status, body } = parseRawResponse(await connection.closed);
    assert.equal(status, 431);
    assert.equal((body as { error: { code: string } }).error.code, 'too_large');
  });

  it('answers garbage sent after a complete exchange on a kept-alive connection with 400', async () => {
    const connection = await openRawConnection(sluice.url);
    connection.write('GET /healthz HTTP/1.1\r\nHost: sluice\r\n\r\n');
    await connection.receivedMatching(/\{"status":"ok"\}$/);
    connection.write('\u0001\u0002 nonsense\r\n\r\n');
    const received = await connection.closed;
    const second = received.slice(received.indexOf('{"status":"ok"}') + '{"status":"ok"}'.length);
    assert.equal(parseRawResponse(second).status, 400);
  });
});
