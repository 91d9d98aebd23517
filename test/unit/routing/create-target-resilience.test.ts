import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../../../src/errors/gateway-error.ts';
import {
  createTargetResilience,
  type TargetResilienceOptions,
} from '../../../src/routing/create-target-resilience.ts';

const never = new AbortController().signal;

const resilienceWith = (options: Partial<TargetResilienceOptions> = {}) =>
  createTargetResilience({
    name: 'main',
    attempts: 3,
    baseDelayMs: 1,
    maxDelayMs: 20,
    breakerThreshold: 100,
    halfOpenAfterMs: 20,
    ...options,
  });

const upstreamDown = (message = 'upstream answered 503', retryAfterMs?: number) =>
  new GatewayError('upstream_error', message, { retryable: true, retryAfterMs });

/** An attempt function that fails with the given errors in turn, then answers `ok`; it counts its calls. */
function scripted(...failures: unknown[]) {
  const script = {
    calls: 0,
    startedAt: [] as number[],
    attempt: async () => {
      script.startedAt.push(performance.now());
      const failure = failures[script.calls];
      script.calls += 1;
      if (script.calls <= failures.length) throw failure;
      return 'ok';
    },
  };
  return script;
}

/** Waits, past the cockatiel cool-down timer, until the circuit lets a probe through. */
async function coolDown(resilience: ReturnType<typeof resilienceWith>) {
  while (resilience.isOpen()) await sleep(5);
}

it('retries a retryable error up to `attempts` tries, then rejects with the last error', async () => {
  const errors = [upstreamDown('first'), upstreamDown('second'), upstreamDown('third')];
  const script = scripted(...errors);
  await assert.rejects(
    resilienceWith({ attempts: 3 }).run(script.attempt, never),
    (error) => error === errors[2],
  );
  assert.equal(script.calls, 3);
});

it('resolves with the first success after failed tries', async () => {
  const script = scripted(upstreamDown(), upstreamDown());
  assert.equal(await resilienceWith({ attempts: 3 }).run(script.attempt, never), 'ok');
  assert.equal(script.calls, 3);
});

it('never retries an error that is not retryable', async () => {
  const badRequest = new GatewayError('bad_request', 'upstream answered 400');
  const script = scripted(badRequest);
  await assert.rejects(resilienceWith().run(script.attempt, never), (error) => error === badRequest);
  assert.equal(script.calls, 1);
});

it('waits at least the upstream’s Retry-After before the next try', async () => {
  const script = scripted(upstreamDown('slow down', 40));
  assert.equal(await resilienceWith({ maxDelayMs: 100 }).run(script.attempt, never), 'ok');
  const [first, second] = script.startedAt;
  // Timers have millisecond granularity, so allow the one millisecond they may round away.
  assert.ok(second! - first! >= 39, `waited only ${second! - first!} ms`);
});

it('does not retry on this target when Retry-After is longer than maxDelayMs', async () => {
  const slowDown = upstreamDown('slow down', 60_000);
  const script = scripted(slowDown);
  await assert.rejects(
    resilienceWith({ maxDelayMs: 100 }).run(script.attempt, never),
    (error) => error === slowDown,
  );
  assert.equal(script.calls, 1);
});

it('opens the circuit after breakerThreshold consecutive failures and then fails fast without trying', async () => {
  const resilience = resilienceWith({ attempts: 1, breakerThreshold: 3, halfOpenAfterMs: 60_000 });
  const script = scripted(upstreamDown(), upstreamDown(), upstreamDown());
  for (let request = 0; request < 3; request += 1) {
    assert.equal(resilience.isOpen(), false);
    await assert.rejects(resilience.run(script.attempt, never));
  }
  assert.equal(resilience.isOpen(), true);
  await assert.rejects(resilience.run(script.attempt, never), (error: unknown) => {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'unavailable');
    assert.equal(error.retryable, true);
    assert.match(error.message, /circuit open for target "main"/);
    assert.ok(error.retryAfterMs !== undefined && error.retryAfterMs > 0);
    return true;
  });
  assert.equal(script.calls, 3);
});

it('stops retrying once its own failures open the circuit, rejecting with the upstream error', async () => {
  const errors = [upstreamDown('first'), upstreamDown('second')];
  const script = scripted(...errors);
  const resilience = resilienceWith({ attempts: 5, breakerThreshold: 2, halfOpenAfterMs: 60_000 });
  await assert.rejects(resilience.run(script.attempt, never), (error) => error === errors[1]);
  assert.equal(script.calls, 2);
  assert.equal(resilience.isOpen(), true);
});

it('does not count a bad request against the target', async () => {
  const resilience = resilienceWith({ attempts: 1, breakerThreshold: 1 });
  const script = scripted(new GatewayError('bad_request', 'upstream answered 400'));
  await assert.rejects(resilience.run(script.attempt, never));
  assert.equal(resilience.isOpen(), false);
});

it('lets one probe through after the cool-down and closes the circuit when it succeeds', async () => {
  const resilience = resilienceWith({ attempts: 1, breakerThreshold: 1, halfOpenAfterMs: 20 });
  await assert.rejects(resilience.run(scripted(upstreamDown()).attempt, never));
  assert.equal(resilience.isOpen(), true);
  await coolDown(resilience);

  let answerProbe!: (value: string) => void;
  const probe = resilience.run(() => new Promise<string>((resolve) => (answerProbe = resolve)), never);
  // While the probe is out, every other request is refused without trying.
  const bystander = scripted();
  assert.equal(resilience.isOpen(), true);
  const refused = assert.rejects(resilience.run(bystander.attempt, never), { code: 'unavailable' });
  answerProbe('ok');
  assert.equal(await probe, 'ok');
  await refused;
  assert.equal(bystander.calls, 0);
  assert.equal(resilience.isOpen(), false);
  assert.equal(await resilience.run(bystander.attempt, never), 'ok');
});

it('reopens the circuit when the probe fails', async () => {
  const resilience = resilienceWith({ attempts: 3, breakerThreshold: 1, halfOpenAfterMs: 20 });
  await assert.rejects(resilience.run(scripted(upstreamDown()).attempt, never));
  await coolDown(resilience);
  const probe = scripted(upstreamDown('still down'));
  await assert.rejects(resilience.run(probe.attempt, never), { message: 'still down' });
  assert.equal(probe.calls, 1);
  assert.equal(resilience.isOpen(), true);
  const next = scripted();
  await assert.rejects(resilience.run(next.attempt, never), { code: 'unavailable' });
  assert.equal(next.calls, 0);
});

it('stops waiting to retry at once when the signal aborts, rejecting with its reason', async () => {
  const controller = new AbortController();
  const reason = new Error('cancelled by the client');
  const resilience = resilienceWith({ maxDelayMs: 600_000 });
  let calls = 0;
  const attempt = async () => {
    calls += 1;
    // Abort once the backoff wait (Retry-After: ten minutes) has begun.
    setImmediate(() => controller.abort(reason));
    throw upstreamDown('slow down', 600_000);
  };
  await assert.rejects(resilience.run(attempt, controller.signal), (error) => error === reason);
  assert.equal(calls, 1);
});

it('rejects with the abort reason and does not blame the target for a try the client cancelled', async () => {
  const controller = new AbortController();
  const resilience = resilienceWith({ attempts: 3, breakerThreshold: 1 });
  let calls = 0;
  const attempt = async (signal: AbortSignal) => {
    calls += 1;
    controller.abort('cancelled by the client');
    assert.equal(signal.aborted, true);
    throw upstreamDown('upstream failed: Request was aborted.');
  };
  await assert.rejects(
    resilience.run(attempt, controller.signal),
    (error) => error === 'cancelled by the client',
  );
  assert.equal(calls, 1);
  assert.equal(resilience.isOpen(), false);
});

it('rejects with the reason without trying when the signal has already aborted', async () => {
  const controller = new AbortController();
  controller.abort('gone');
  const script = scripted();
  await assert.rejects(resilienceWith().run(script.attempt, controller.signal), (error) => error === 'gone');
  assert.equal(script.calls, 0);
});
