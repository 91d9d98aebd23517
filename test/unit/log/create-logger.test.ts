import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/log/create-logger.ts';

/** A logger whose lines are kept, parsed, in `lines`. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level: 'info',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  return { log, lines };
}

describe('the logger', () => {
  it('censors secret-named fields at the top level, in any case, and leaves the rest and the logged object alone', () => {
    const { log, lines } = capturedLogger();
    const fields = {
      api_key: 'sk-1',
      apiKey: 'sk-2',
      Authorization: 'Bearer sk-3',
      access_token: 'at',
      token: 't',
      user: 'alice',
      n: 3,
    };
    log.info(fields, 'line');
    assert.deepEqual(lines[0], {
      ...lines[0],
      api_key: '[redacted]',
      apiKey: '[redacted]',
      Authorization: '[redacted]',
      access_token: '[redacted]',
      token: '[redacted]',
      user: 'alice',
      n: 3,
      msg: 'line',
    });
    assert.equal(fields.api_key, 'sk-1');
  });

  it('censors them one level down: headers and nested settings', () => {
    const { log, lines } = capturedLogger();
    const headers = {
      authorization: 'Bearer sk-4',
      'x-api-key': 'sk-5',
      cookie: 'session=6',
      accept: 'text/plain',
    };
    log.info({ headers, provider: { name: 'openai', apiKey: 'sk-7' }, list: ['token'] });
    assert.deepEqual(lines[0]!.headers, {
      authorization: '[redacted]',
      'x-api-key': '[redacted]',
      cookie: '[redacted]',
      accept: 'text/plain',
    });
    assert.deepEqual(lines[0]!.provider, { name: 'openai', apiKey: '[redacted]' });
    assert.deepEqual(lines[0]!.list, ['token']);
    assert.equal(headers.authorization, 'Bearer sk-4');
  });

  it('censors what an error carries, under err and elsewhere, and keeps its message and stack', () => {
    const { log, lines } = capturedLogger();
    const error = Object.assign(new Error('upstream refused'), {
      token: 'sk-8',
      headers: { authorization: 'Bearer sk-9' },
    });
    log.error({ err: error, cause: Object.assign(new Error('inner'), { api_key: 'sk-10' }) }, 'failed');
    const err = lines[0]!.err as Record<string, unknown>;
    assert.equal(err.message, 'upstream refused');
    assert.match(String(err.stack), /upstream refused/);
    assert.equal(err.token, '[redacted]');
    assert.deepEqual(err.headers, { authorization: '[redacted]' });
    assert.deepEqual(lines[0]!.cause, { api_key: '[redacted]' });
    assert.equal(error.token, 'sk-8');
    assert.doesNotMatch(JSON.stringify(lines), /sk-\d/);
  });

  it("censors a child logger's bindings", () => {
    const { log, lines } = capturedLogger();
    log.child({ request_id: 'r1', token: 'sk-11' }).info('child line');
    assert.equal(lines[0]!.request_id, 'r1');
    assert.equal(lines[0]!.token, '[redacted]');
    assert.equal(lines[0]!.service, 'sluice');
  });
});
