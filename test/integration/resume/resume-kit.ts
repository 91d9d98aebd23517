import assert from 'node:assert/strict';
import { hashApiKey } from '../../../src/auth/hash-api-key.ts';
import type { GatedOpenAiUpstream } from '../../fakes/gated-openai-upstream.ts';
import type { ServerEvent, TestClient } from '../../helpers/ws-test-client.ts';
import { connectTestClient } from '../../helpers/ws-test-client.ts';

/** The reply the gated upstream streams: ten words, the gate after the fourth. */
export const words = [
  'zero',
  ' one',
  ' two',
  ' three',
  ' four',
  ' five',
  ' six',
  ' seven',
  ' eight',
  ' nine',
];
export const wordsBeforeGate = 4;

export const adaKey = 'sk-sluice-ada-resume-test-key-0001';
export const bobKey = 'sk-sluice-bob-resume-test-key-0002';

/** Config for Sluice in front of the gated upstream, with two users. */
export function resumeConfig(baseUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    providers: { gated: { type: 'openai-compatible', base_url: baseUrl } },
    models: { gated: { target: { provider: 'gated', model: 'gated-1' }, coalesce: false } },
    auth: {
      api_keys: [
        { hash: hashApiKey(adaKey), user: 'ada', plan: 'default' },
        { hash: hashApiKey(bobKey), user: 'bob', plan: 'default' },
      ],
    },
    ...extra,
  };
}

/** A protocol client authenticated with the given API key. */
export function connectAs(wsUrl: string, key: string): Promise<TestClient> {
  return connectTestClient(wsUrl, 'sluice.v1', { headers: { authorization: `Bearer ${key}` } });
}

export const ask = (client: TestClient, id: string) =>
  client.send({ type: 'chat', id, model: 'gated', messages: [{ role: 'user', content: 'Count' }] });

/** Resolves once the client got the delta with this seq of request `id`. */
export const deltaSeq = (client: TestClient, id: string, seq: number) =>
  client.next((event) => event.id === id && event.type === 'delta' && event.seq === seq);

/** What a client has of request `id` so far, in order. */
export const eventsOf = (client: TestClient, id: string) => client.events.filter((event) => event.id === id);

/**
 * Checks that the events a client saw before and after resuming make up the request exactly once:
 * `start`, deltas numbered 1, 2, 3... with no gap and no repeat, whose text is the whole reply, then
 * one `done`.
 */
export function assertWholeReply(before: ServerEvent[], after: ServerEvent[]): void {
  const all = [...before, ...after];
  assert.equal(all[0]?.type, 'start', 'the stream starts with start');
  assert.equal(all.filter((event) => event.type === 'start').length, 1, 'one start');
  const rest = all.slice(1);
  assert.deepEqual(
    rest.map((event) => event.seq),
    rest.map((_, index) => index + 1),
    'seq 1, 2, 3... with no gap or repeat',
  );
  const deltas = rest.filter((event) => event.type === 'delta');
  assert.equal(deltas.map((event) => event.text).join(''), words.join(''), 'the whole reply, in order');
  const last = rest.at(-1);
  assert.equal(last?.type, 'done');
  assert.equal(last?.finish_reason, 'stop');
}

/**
 * Ada's request `id` starts on `first`; her socket drops mid-stream; she reconnects to `second` (the
 * same instance or another) and resumes after the last delta she saw; the gate opens. She must get the
 * rest exactly once, and the request must not have been called again.
 */
export async function dropAndResume(
  first: string,
  second: string,
  upstream: GatedOpenAiUpstream,
  id: string,
): Promise<void> {
  const calls = upstream.calls();
  const dropped = await connectAs(first, adaKey);
  ask(dropped, id);
  await deltaSeq(dropped, id, 2);
  const seen = eventsOf(dropped, id).slice(0, 3);
  dropped.socket.terminate();

  const back = await connectAs(second, adaKey);
  back.send({ type: 'resume', id, after_seq: 2 });
  // Replayed: the deltas the dropped socket got or had in flight.
  await deltaSeq(back, id, wordsBeforeGate);
  upstream.open();
  assertWholeReply(seen, await back.collect(id));
  assert.equal(upstream.calls(), calls + 1, 'the request ran on: no second upstream call');
  await back.close();
}

/** Bob's resume (on `second`) of a request Ada is streaming (on `first`) is refused and gets nothing. */
export async function otherUserIsRefused(
  first: string,
  second: string,
  upstream: GatedOpenAiUpstream,
  id: string,
): Promise<void> {
  const ada = await connectAs(first, adaKey);
  ask(ada, id);
  await deltaSeq(ada, id, 1);
  const bob = await connectAs(second, bobKey);
  bob.send({ type: 'resume', id, after_seq: 0 });
  assert.deepEqual(
    (await bob.collect(id)).map((event) => [event.type, event.code]),
    [['error', 'not_found']],
  );
  upstream.open();
  assertWholeReply([], await ada.collect(id));
  await Promise.all([ada.close(), bob.close()]);
}
