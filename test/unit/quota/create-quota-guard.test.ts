import assert from 'node:assert/strict';
import test from 'node:test';
import type { Identity } from '../../../src/auth/identity.ts';
import type { QuotaPolicy } from '../../../src/quota/create-quota-guard.ts';
import type { ChatRequest } from '../../../src/spec/chat-request.ts';
import type { ReservationRequest, SettledUsage, UsageStore } from '../../../src/store/usage-store.ts';
import { watchPackageLoads } from '../watch-package-loads.ts';

// Watched before the guard is imported: each test file runs in a process of its own.
const tokenizer = watchPackageLoads('gpt-tokenizer');
const { createQuotaGuard } = await import('../../../src/quota/create-quota-guard.ts');
const { createRateLimiters } = await import('../../../src/quota/create-rate-limiters.ts');
const { countMessageTokens } = await import('../../../src/usage/count-tokens.ts');

/** A store that grants everything asked and keeps what it was told. */
function recordingStore() {
  const reserved: ReservationRequest[] = [];
  const settled: SettledUsage[] = [];
  const store: UsageStore = {
    async reserve(request) {
      reserved.push(request);
      return { granted: true, outputTokens: request.wantedOutputTokens, remaining: [] };
    },
    async settle(_requestId, usage) {
      settled.push(usage);
      return [];
    },
    async recordRefusal() {},
    async remaining() {
      return [];
    },
    async usageByDay() {
      return [];
    },
    async close() {},
  };
  return { store, reserved, settled };
}

const identity = (plan: string): Identity => ({ user: 'ada', plan, kind: 'api_key', admin: false });
const policy: QuotaPolicy = {
  plans: { unlimited: { concurrent_streams: 5 }, daily: { tokens_per_day: 100_000 } },
  pricing: {},
  settings: { default_max_tokens: 1024, min_output_tokens: 16 },
};
const request: ChatRequest = {
  id: 'r1',
  model: 'chat',
  messages: [{ role: 'user', content: 'How many tokens is this question?' }],
};
const candidates = [{ provider: 'openai', model: 'gpt-x' }];
const reported = { inputTokens: 12, outputTokens: 7, estimated: false };

test('a plan without token or money limits reserves no input tokens and never loads the tokenizer', async () => {
  const { store, reserved, settled } = recordingStore();
  const guard = createQuotaGuard(store, createRateLimiters(), () => policy);
  const admission = await guard.admit({
    identity: identity('unlimited'),
    request,
    requestId: 'r1',
    candidates,
  });
  assert.equal(reserved[0]?.inputTokens, 0);
  assert.equal(admission.maxTokens, undefined);
  assert.equal(admission.meter({ type: 'text-delta', text: 'Some output' }), true);
  await admission.settle({ usage: reported, outcome: 'stop', durationMs: 5 });
  assert.equal(settled[0]?.inputTokens, 12, 'the reported usage is what gets booked');
  assert.equal(settled[0]?.outputTokens, 7);
  assert.equal(tokenizer.loaded(), false);
});

test('a plan with a token allowance reserves the counted input tokens', async () => {
  const { store, reserved, settled } = recordingStore();
  const guard = createQuotaGuard(store, createRateLimiters(), () => policy);
  const admission = await guard.admit({ identity: identity('daily'), request, requestId: 'r2', candidates });
  assert.equal(reserved[0]?.inputTokens, countMessageTokens(request.messages));
  assert.equal(admission.maxTokens, 1024);
  await admission.settle({ usage: reported, outcome: 'stop', durationMs: 5 });
  assert.equal(settled[0]?.inputTokens, 12);
});

test('tool definitions count towards the input of a limited plan', async () => {
  const { store, reserved } = recordingStore();
  const guard = createQuotaGuard(store, createRateLimiters(), () => policy);
  const tools = [
    { type: 'function' as const, function: { name: 'weather', description: 'Weather by city' } },
  ];
  await guard.admit({
    identity: identity('daily'),
    request: { ...request, tools },
    requestId: 'r3',
    candidates,
  });
  assert.ok((reserved[0]?.inputTokens ?? 0) > countMessageTokens(request.messages));
});

test('a plan named like a property every object inherits is unknown, so forbidden', async () => {
  const guard = createQuotaGuard(recordingStore().store, createRateLimiters(), () => policy);
  for (const plan of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    const refusal = { code: 'forbidden', message: `unknown plan "${plan}"` };
    await assert.rejects(
      guard.admit({ identity: identity(plan), request, requestId: plan, candidates }),
      refusal,
    );
    await assert.rejects(guard.limitsOf(identity(plan)), refusal);
    assert.throws(() => guard.planOf(identity(plan)), refusal);
  }
});

test('an upstream model named like an inherited property has no price, so a spend-limited plan refuses it', async () => {
  const spending: QuotaPolicy = { ...policy, plans: { spending: { usd_per_day: 5 } } };
  const guard = createQuotaGuard(recordingStore().store, createRateLimiters(), () => spending);
  await assert.rejects(
    guard.admit({
      identity: identity('spending'),
      request,
      requestId: 'r4',
      candidates: [{ provider: 'openai', model: 'constructor' }],
    }),
    {
      code: 'forbidden',
      message: 'upstream model "constructor" has no price, and plan "spending" limits spend',
    },
  );
});
