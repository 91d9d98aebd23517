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

describe('the logger, given strings a client sent', () => {
  const long = (length: number) => 'm'.repeat(length);

  it('cuts every long string field to 200 characters and says how many it left out', () => {
    const { log, lines } = capturedLogger();
    log.info({ model: long(1_048_576), user: long(200) }, 'request end');
    assert.equal(lines[0]!.model, `${long(200)}…(+1048376 chars)`);
    assert.equal(lines[0]!.user, long(200), 'a string of exactly the bound is kept whole');
  });

  it('cuts them one level down and in a list, and leaves the logged object alone', () => {
    const { log, lines } = capturedLogger();
    const request = { model: long(5000), id: 'r1' };
    log.info({ request, warnings: ['short', long(300)] });
    assert.deepEqual(lines[0]!.request, { model: `${long(200)}…(+4800 chars)`, id: 'r1' });
    assert.deepEqual(lines[0]!.warnings, ['short', `${long(200)}…(+100 chars)`]);
    assert.equal(request.model.length, 5000);
  });

  it('cuts a long message', () => {
    const { log, lines } = capturedLogger();
    log.warn(`unknown model ${long(10_000)}`);
    assert.equal(String(lines[0]!.msg).length, 200 + '…(+9814 chars)'.length);
  });

  it("cuts a child logger's bindings, and its children's", () => {
    const { log, lines } = capturedLogger();
    const child = log.child({ client_request_id: long(1000) });
    child.child({ hook: long(300) }).info('hook line');
    assert.equal(lines[0]!.client_request_id, `${long(200)}…(+800 chars)`);
    assert.equal(lines[0]!.hook, `${long(200)}…(+100 chars)`);
  });

  it("cuts a logged error's message and keeps its stack's frames, each line bounded", () => {
    const { log, lines } = capturedLogger();
    log.error({ err: new Error(`unknown model ${long(1_048_576)}`) }, 'failed');
    const err = lines[0]!.err as { message: string; stack: string };
    assert.ok(err.message.length < 250, `a message of ${err.message.length} characters`);
    const stack = err.stack.split('\n');
    assert.ok(stack.length > 2, 'the frames are kept');
    assert.ok(
      stack.every((line) => line.length < 250),
      'no line of the stack is long',
    );
    assert.match(stack[1]!, /^\s+at /);
  });

  it('cuts a thrown string logged as an error', () => {
    const { log, lines } = capturedLogger();
    log.error({ err: long(1000) }, 'failed');
    assert.equal(lines[0]!.err, `${long(200)}…(+800 chars)`);
  });
});
