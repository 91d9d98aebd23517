import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admitRequest } from '../../../src/pipeline/admit-request.ts';
import { openSource } from '../../../src/pipeline/open-source.ts';
import type { PartSource } from '../../../src/pipeline/part-source.ts';
import type { RequestRecord } from '../../../src/pipeline/request-record.ts';
import type { StreamPart } from '../../../src/spec/stream-part.ts';
import { startFakeOpenAiServer } from '../../fakes/fake-openai-server.ts';
import { openPipeline } from './pipeline-fixture.ts';

/** Reads a source to its terminal part the way the relay stage does. */
async function readAll(source: PartSource): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for (;;) {
    const part = source.take();
    if (part === undefined) {
      assert.equal(source.over(), false, 'the source ends with its terminal part');
      await source.changed();
      continue;
    }
    parts.push(part);
    if (part.type === 'finish' || part.type === 'error') return parts;
  }
}

const textOf = (parts: StreamPart[]) =>
  parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');

describe('openSource: the source stage', () => {
  let pipeline: Awaited<ReturnType<typeof openPipeline>>;
  let refusedUrl: string;
  before(async () => {
    const refused = await startFakeOpenAiServer({ script: {} });
    refusedUrl = refused.baseUrl;
    await refused.close();
    pipeline = await openPipeline({
      // Paced, so that a shared call is still running when an identical request comes.
      providers: {
        demo: { type: 'demo', token_delay_ms: 2 },
        gone: { type: 'openai-compatible', base_url: refusedUrl },
      },
      models: {
        solo: { target: { provider: 'demo', model: 'demo' }, coalesce: false },
        cached: { target: { provider: 'demo', model: 'demo' }, cache: 'on' },
        gone: { target: { provider: 'gone', model: 'm' }, retry: { attempts: 1 } },
      },
    });
  });
  after(() => pipeline.close());

  /** What the end stage lets go of for a request of its own call. */
  const release = (record: RequestRecord) => {
    record.stopTimers();
    record.stopListening();
    record.opened?.release();
  };

  const admitted = async (record: RequestRecord) => {
    await admitRequest(record);
    return record;
  };

  it('opens a call of its own on a route that does not coalesce, and names who answered', async () => {
    const record = await admitted(pipeline.record({ model: 'solo' }));
    const source = await openSource(record);
    assert.ok(record.opened, 'the request holds its own upstream call');
    assert.equal(record.answered.provider, 'demo');
    assert.equal(record.target?.provider, 'demo');
    assert.equal(pipeline.hub.activeKeys(), 0, 'no shared call was started');
    const parts = await readAll(source);
    assert.equal(parts.at(-1)?.type, 'finish');
    source.dispose();
    release(record);
  });

  it('leads a shared call, which an identical request then joins instead of calling again', async () => {
    const messages = [{ role: 'user' as const, content: 'Share this one' }];
    const leader = await admitted(pipeline.record({ messages }));
    const leading = await openSource(leader);
    const follower = await admitted(pipeline.record({ messages }));
    const following = await openSource(follower);
    assert.equal(pipeline.hub.activeKeys(), 1, 'one upstream call for both');
    assert.equal(leader.opened, undefined, 'the shared call, not the request, holds the upstream');
    assert.deepEqual(follower.answered, { model: 'demo', provider: 'demo' });
    const [led, followed] = await Promise.all([readAll(leading), readAll(following)]);
    assert.equal(textOf(followed), textOf(led), 'both read the same reply');
    assert.equal(followed.at(-1)?.type, 'finish');
  });

  it('serves an identical request from the cache once a reply was stored, without an upstream call', async () => {
    const messages = [{ role: 'user' as const, content: 'Cache this one' }];
    const first = await admitted(pipeline.record({ model: 'cached', messages, temperature: 0 }));
    const original = await readAll(await openSource(first));
    assert.equal(first.cacheLookup, 'miss');
    const second = await admitted(pipeline.record({ model: 'cached', messages, temperature: 0 }));
    const replay = await openSource(second);
    assert.equal(second.servedFromCache, true);
    assert.equal(second.cacheLookup, 'hit');
    assert.equal(pipeline.hub.activeKeys(), 0, 'no call was started for the hit');
    const replayed = await readAll(replay);
    assert.equal(textOf(replayed), textOf(original));
    replay.dispose();
  });

  it('throws when no target could be opened, before anything was read', async () => {
    const record = await admitted(pipeline.record({ model: 'gone' }));
    await assert.rejects(openSource(record), { code: 'upstream_error' });
    release(record);
  });

  it("throws the client's reason when the request is cancelled while its upstream opens", async () => {
    const client = new AbortController();
    const record = await admitted(pipeline.record({ model: 'solo' }, client));
    client.abort('cancelled by the client');
    await assert.rejects(openSource(record));
    assert.equal(record.upstream.signal.aborted, true, 'the cancel reached the upstream');
    release(record);
  });
});
