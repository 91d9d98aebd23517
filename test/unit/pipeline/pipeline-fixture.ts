import { Writable } from 'node:stream';
import pino from 'pino';
import { providerKinds } from '../../../providers/index.ts';
import type { Identity } from '../../../src/auth/identity.ts';
import { createCoalescingHub } from '../../../src/cache/coalescing-hub.ts';
import { createPipelineSteps } from '../../../src/pipeline/create-gateway.ts';
import { createRequestRecord, type RequestRecord } from '../../../src/pipeline/request-record.ts';
import { createTargetRegistry } from '../../../src/routing/target-registry.ts';
import { openBackends } from '../../../src/server/open-backends.ts';
import type { ChatRequest } from '../../../src/spec/chat-request.ts';
import type { GatewayEvent } from '../../../src/spec/gateway-event.ts';
import type { RequestSummary } from '../../../src/spec/request-observer.ts';
import type { SourceItem } from '../../../src/spec/source-item.ts';
import { testConfig } from '../../helpers/start-test-sluice.ts';

/** An anonymous user on the default plan. */
export const identity: Identity = { user: 'alice', plan: 'default', kind: 'anonymous', admin: false };

/**
 * The real pipeline steps for a raw test config (the unpaced demo provider, an in-memory ledger), with
 * the log lines and request summaries they produce, and records of requests to run stage by stage.
 */
export async function openPipeline(rawConfig: Record<string, unknown> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, callback) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        callback();
      },
    }),
  );
  const summaries: RequestSummary[] = [];
  const waiting: Array<(summary: RequestSummary) => void> = [];
  const config = testConfig(rawConfig);
  const backends = await openBackends(config, log);
  const hub = createCoalescingHub<SourceItem>();
  const stopping = new AbortController();
  const stopped = new AbortController();
  const steps = await createPipelineSteps(config, {
    store: backends.store,
    limiters: backends.limiters,
    registry: createTargetRegistry(),
    observer: {
      requestStarted: () => {},
      requestEnded(summary) {
        summaries.push(summary);
        for (const resolve of waiting.splice(0)) resolve(summary);
      },
    },
    stopping: stopping.signal,
    stopped: stopped.signal,
    cache: backends.cache,
    hub,
    baseDirectory: process.cwd(),
    providerKinds,
    log,
  });
  let requests = 0;
  return {
    steps,
    hub,
    log,
    lines,
    summaries,
    stopping,
    backends,
    close: () => backends.close(),
    /** Resolves with the summary of the next request to end. */
    nextEnd: () => new Promise<RequestSummary>((resolve) => waiting.push(resolve)),
    /** A new request's record; the content is unique unless given, so nothing is shared by chance. */
    record(
      overrides: Partial<ChatRequest> = {},
      client = new AbortController(),
      who: Identity = identity,
    ): RequestRecord {
      requests += 1;
      const request: ChatRequest = {
        id: `r${requests}`,
        model: 'demo',
        messages: [{ role: 'user', content: `Tell me something, take ${requests}` }],
        ...overrides,
      };
      const requestId = `request-${requests}`;
      return createRequestRecord(
        request,
        { requestId, identity: who, signal: client.signal, log: log.child({ request_id: requestId }) },
        steps,
      );
    },
  };
}

/** A sink that keeps every event and never makes the pipeline wait. */
export function collectEvents() {
  const events: GatewayEvent[] = [];
  return {
    events,
    emit: (event: GatewayEvent) => {
      events.push(event);
      return undefined;
    },
    types: () => events.map((event) => event.type),
  };
}
