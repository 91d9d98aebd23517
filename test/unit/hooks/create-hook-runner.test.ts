import assert from 'node:assert/strict';
import { it } from 'node:test';
import pino from 'pino';
import { ConfigError } from '../../../src/errors/config-error.ts';
import { GatewayError } from '../../../src/errors/gateway-error.ts';
import { createHookRunner } from '../../../src/hooks/create-hook-runner.ts';
import { TimeoutError } from '../../../src/hooks/run-with-timeout.ts';
import type { RequestSummary } from '../../../src/spec/request-observer.ts';
import {
  capturedLog,
  fixturesDirectory,
  hookEntries,
  requestContext,
  runThrough,
  textOf,
  textParts,
} from './hook-test-kit.ts';

const silent = pino({ level: 'silent' });

const runnerFor = (raw: unknown[], log = silent) =>
  createHookRunner(hookEntries(raw), { baseDirectory: fixturesDirectory, log });

const isInternal = (message: string) => (error: unknown) =>
  error instanceof GatewayError && error.code === 'internal' && error.message === message;

const summary: RequestSummary = {
  user: 'alice',
  plan: 'pro',
  model: 'demo',
  outcome: 'stop',
  failed: false,
  inputTokens: 9,
  outputTokens: 2,
  durationMs: 12,
  cached: false,
};

it('runs a custom pre hook loaded from a path relative to the config directory, which rewrites the messages', async () => {
  const runner = await runnerFor([{ use: './rewrite-message.ts', options: { prefix: 'Serving' } }]);
  const context = requestContext({ temperature: 0.9 });
  await runner.runPre(context);
  assert.deepEqual(context.request.messages, [
    { role: 'system', content: 'Serving alice' },
    { role: 'user', content: 'Hi' },
  ]);
  assert.equal(context.request.temperature, 0);
  assert.equal(context.request.model, 'demo');
});

it('runs pre hooks in config order, each seeing the request as the one before left it', async () => {
  const runner = await runnerFor([
    { use: './rewrite-message.ts', options: { prefix: 'Write to bob@example.com for' } },
    { use: 'pii-redactor' },
  ]);
  const context = requestContext();
  await runner.runPre(context);
  assert.equal(context.request.messages[0]!.content, 'Write to [email] for alice');
});

it('refuses the request with the code a custom JavaScript hook gives, and runs no later hook', async () => {
  const runner = await runnerFor([
    { use: './reject-long-request.js', options: { max_chars: 3, code: 'too_large' } },
    { use: './throw-error.ts', options: { stage: 'pre' } },
  ]);
  await assert.rejects(
    runner.runPre(requestContext({ messages: [{ role: 'user', content: 'Hello' }] })),
    (error) =>
      error instanceof GatewayError && error.code === 'too_large' && error.message === 'at most 3 characters',
  );
  await assert.rejects(runner.runPre(requestContext()), isInternal('hook "throw-error" failed'));
});

it('refuses with bad_request when a rejecting hook gives no code', async () => {
  const runner = await runnerFor([{ use: './reject-long-request.js', options: { max_chars: 0 } }]);
  await assert.rejects(
    runner.runPre(requestContext()),
    (error) => (error as GatewayError).code === 'bad_request',
  );
});

it('refuses with the blocked-terms hook and its configured code', async () => {
  const runner = await runnerFor([{ use: 'blocked-terms', options: { terms: ['hi'], code: 'bad_request' } }]);
  await assert.rejects(
    runner.runPre(requestContext()),
    (error) => error instanceof GatewayError && error.code === 'bad_request',
  );
});

it('fails the request with internal when a hook throws, and logs the cause with the hook name', async () => {
  const { log, lines } = capturedLog();
  const runner = await runnerFor([{ use: './throw-error.ts', options: { stage: 'pre' } }]);
  await assert.rejects(runner.runPre(requestContext({}, { log })), isInternal('hook "throw-error" failed'));
  const line = lines.find((entry) => entry.msg === 'hook failed')!;
  assert.equal(line.hook, 'throw-error');
  assert.equal(line.stage, 'pre');
  assert.match(String((line.err as { message?: string }).message), /boom in pre/);
});

it('fails the request with internal when a hook does not answer in time, and aborts its signal', async () => {
  const reasons: unknown[] = [];
  const runner = await runnerFor([
    {
      use: './never-resolve.ts',
      name: 'stuck',
      timeout_ms: 20,
      options: { onAbort: (reason: unknown) => reasons.push(reason) },
    },
  ]);
  await assert.rejects(
    runner.runPre(requestContext()),
    isInternal('hook "stuck" failed: no answer within 20 ms'),
  );
  assert.equal(reasons.length, 1);
  assert.ok(reasons[0] instanceof TimeoutError);
});

it('skips a fail-open hook that throws or times out, with a warning, and runs the next hooks', async () => {
  const { log, lines } = capturedLog();
  const runner = await runnerFor([
    { use: './throw-error.ts', options: { stage: 'pre' }, fail_open: true },
    { use: './never-resolve.ts', timeout_ms: 20, fail_open: true, options: { onAbort: () => {} } },
    { use: './rewrite-message.ts', options: { prefix: 'Still' } },
  ]);
  const context = requestContext({}, { log });
  await runner.runPre(context);
  assert.equal(context.request.messages[0]!.content, 'Still alice');
  const warnings = lines.filter((line) => line.msg === 'hook failed; skipped (fail_open)');
  assert.deepEqual(
    warnings.map((line) => [line.level, line.hook]),
    [
      [40, 'throw-error'],
      [40, 'never-resolve'],
    ],
  );
});

it('fails the request with internal when a custom hook returns a change it does not know', async () => {
  const runner = await runnerFor([{ use: './return-bad-changes.ts' }]);
  await assert.rejects(runner.runPre(requestContext()), isInternal('hook "return-bad-changes" failed'));
});

it('stops with the request signal reason when the client leaves while a pre hook runs', async () => {
  const runner = await runnerFor([
    { use: './never-resolve.ts', timeout_ms: 60_000, options: { onAbort: () => {} } },
  ]);
  const controller = new AbortController();
  const running = runner.runPre(requestContext({}, { signal: controller.signal }));
  controller.abort('cancelled');
  await assert.rejects(running, (reason) => reason === 'cancelled');
});

it('makes no stream transform when no hook joins the stream', async () => {
  assert.equal((await runnerFor([])).streamTransform(requestContext()), undefined);
  const preOnly = await runnerFor([
    { use: 'pii-redactor', options: { stream: false } },
    { use: './rewrite-message.ts' },
  ]);
  assert.equal(preOnly.streamTransform(requestContext()), undefined);
});

it('chains stream hooks in config order, flushing each through the ones after it', async () => {
  const runner = await runnerFor([
    { use: './wrap-text.ts', options: { tag: 'A' } },
    { use: './wrap-text.ts', options: { tag: 'B' } },
  ]);
  const transform = runner.streamTransform(requestContext())!;
  assert.deepEqual(transform.push({ type: 'text-delta', text: 'x' }), [
    { type: 'text-delta', text: 'B(A(x))' },
  ]);
  assert.equal(textOf(transform.flush()), 'B(A.)B.');
});

it('runs the stream redactor inside the chain, before a later hook sees the text', async () => {
  const runner = await runnerFor([{ use: 'pii-redactor' }, { use: './wrap-text.ts', options: { tag: 'W' } }]);
  const parts = runThrough(
    runner.streamTransform(requestContext())!,
    textParts('mail jo', 'e@example.com', ' now'),
  );
  assert.equal(textOf(parts), 'W(mail [email])W( now)W.');
});

it('fails the stream with internal naming the hook when a stream hook throws', async () => {
  const runner = await runnerFor([{ use: './throw-error.ts', options: { stage: 'stream' } }]);
  const transform = runner.streamTransform(requestContext())!;
  assert.throws(
    () => transform.push({ type: 'text-delta', text: 'x' }),
    isInternal('hook "throw-error" failed'),
  );
  const starting = await runnerFor([{ use: './throw-error.ts', options: { stage: 'stream-start' } }]);
  assert.throws(() => starting.streamTransform(requestContext()), isInternal('hook "throw-error" failed'));
});

it('passes parts through untransformed once a fail-open stream hook throws, with one warning', async () => {
  const { log, lines } = capturedLog();
  const runner = await runnerFor([
    { use: './throw-error.ts', options: { stage: 'stream' }, fail_open: true },
    { use: './wrap-text.ts', options: { tag: 'A' } },
  ]);
  const parts = runThrough(runner.streamTransform(requestContext({}, { log }))!, textParts('x', 'y'));
  assert.deepEqual(textOf(parts), 'A(x)A(y)A.');
  assert.equal(lines.filter((line) => line.msg === 'hook failed; skipped (fail_open)').length, 1);
});

it('runs done hooks with the finished request and its summary', async () => {
  const seen: unknown[] = [];
  const runner = await runnerFor([
    { use: './rewrite-message.ts', options: { prefix: 'Hi' } },
    { use: './record-done.ts', options: { record: (entry: unknown) => seen.push(entry) } },
  ]);
  const context = requestContext();
  await runner.runPre(context);
  await runner.runDone(context, summary);
  assert.deepEqual(seen, [{ messages: 2, summary }]);
});

it('only logs a done hook that throws or times out, and still runs the next one, even after the client left', async () => {
  const { log, lines } = capturedLog();
  const seen: unknown[] = [];
  const runner = await runnerFor([
    { use: './throw-error.ts', options: { stage: 'done' } },
    { use: './never-resolve.ts', timeout_ms: 20, options: { onAbort: () => {} } },
    { use: './record-done.ts', options: { record: (entry: unknown) => seen.push(entry) } },
  ]);
  const left = new AbortController();
  left.abort('client left');
  await runner.runDone(requestContext({}, { log, signal: left.signal }), summary);
  assert.equal(seen.length, 1);
  assert.deepEqual(
    lines.filter((line) => line.msg === 'hook failed').map((line) => [line.level, line.hook, line.stage]),
    [
      [50, 'throw-error', 'done'],
      [50, 'never-resolve', 'done'],
    ],
  );
});

it('logs the hooks of each stage once they are loaded', async () => {
  const { log, lines } = capturedLog();
  await runnerFor(
    [{ use: 'pii-redactor' }, { use: './record-done.ts', name: 'audit', options: { record: () => {} } }],
    log,
  );
  const line = lines.find((entry) => entry.msg === 'hooks loaded');
  assert.deepEqual([line?.pre, line?.stream, line?.done], [['pii-redactor'], ['pii-redactor'], ['audit']]);
});

it('refuses to start with a ConfigError naming the entry when a module cannot be loaded or is not a hook', async () => {
  await assert.rejects(
    runnerFor([{ use: 'pii-redactor' }, { use: './missing-hook.ts' }]),
    (error) =>
      error instanceof ConfigError && /^hooks\.1\.use: cannot load .*missing-hook\.ts/.test(error.message),
  );
  await assert.rejects(
    runnerFor([{ use: './no-default-export.ts' }]),
    (error) =>
      error instanceof ConfigError && /hooks\.0\.use: .* must export a default function/.test(error.message),
  );
});

it('runs the documented example hook at all three stages', async () => {
  const { log, lines } = capturedLog();
  const runner = await runnerFor([{ use: './support-desk.ts', options: { team: 'billing' } }]);
  const context = requestContext({}, { log });
  await runner.runPre(context);
  assert.deepEqual(context.request.messages[0], {
    role: 'system',
    content: 'You answer for the billing team.',
  });
  assert.equal(context.request.temperature, 0.2);
  const parts = runThrough(runner.streamTransform(context)!, textParts('Paid.'));
  assert.equal(textOf(parts), 'Paid.\n(answered by the support desk)');
  await runner.runDone(context, summary);
  const line = lines.find((entry) => entry.msg === 'support answer')!;
  assert.deepEqual([line.hook, line.user, line.output_tokens], ['support-desk', 'alice', 2]);
  const long = requestContext({
    messages: Array.from({ length: 51 }, () => ({ role: 'user' as const, content: 'x' })),
  });
  await assert.rejects(runner.runPre(long), (error) => (error as GatewayError).code === 'too_large');
});
