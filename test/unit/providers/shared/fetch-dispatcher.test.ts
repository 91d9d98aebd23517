import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dispatcher } from 'undici-types';
import { fetchDispatcher, forAnyUndici } from '../../../../providers/shared/fetch-dispatcher.ts';

/** A handler of undici 7's kind that records what it is told and pauses on request. */
function recordingHandler() {
  const calls: string[] = [];
  let controller: Dispatcher.DispatchController | undefined;
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(requestController) {
      controller = requestController;
      calls.push('start');
    },
    onResponseStart(_controller, statusCode, headers) {
      calls.push(`headers ${statusCode} ${JSON.stringify(headers)}`);
    },
    onResponseData(_controller, chunk) {
      calls.push(`data ${chunk}`);
    },
    onResponseEnd(_controller, trailers) {
      calls.push(`end ${JSON.stringify(trailers)}`);
    },
    onResponseError(_controller, error) {
      calls.push(`error ${error.message}`);
    },
  };
  return { handler, calls, controller: () => controller! };
}

describe('the fetch dispatcher', () => {
  it("is the global dispatcher Node's own fetch sends with", () => {
    const dispatcher = fetchDispatcher();
    assert.equal(typeof dispatcher.dispatch, 'function');
    assert.equal(
      dispatcher,
      (globalThis as unknown as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')],
    );
  });

  it("drives a handler of undici 7's kind through undici 6's methods: headers, data, pause and resume, end", () => {
    const { handler, calls, controller } = recordingHandler();
    const legacy = forAnyUndici(handler);
    let resumed = 0;
    legacy.onConnect(() => calls.push('aborted'));
    const rawHeaders = ['Content-Type', 'text/event-stream', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2'].map(
      (text) => Buffer.from(text),
    );
    assert.equal(
      legacy.onHeaders(200, rawHeaders, () => resumed++, 'OK'),
      true,
    );
    assert.equal(legacy.onData(Buffer.from('one')), true);
    controller().pause();
    assert.equal(legacy.onData(Buffer.from('two')), false);
    controller().resume();
    assert.equal(resumed, 1);
    assert.equal(legacy.onData(Buffer.from('three')), true);
    legacy.onComplete(null);
    assert.deepEqual(calls, [
      'start',
      'headers 200 {"content-type":"text/event-stream","set-cookie":["a=1","b=2"]}',
      'data one',
      'data two',
      'data three',
      'end {}',
    ]);
  });

  it('aborts through the function undici 6 gave at connect, once, and passes its error on', () => {
    const { handler, calls, controller } = recordingHandler();
    const legacy = forAnyUndici(handler);
    const reasons: Array<Error | undefined> = [];
    legacy.onConnect((reason) => reasons.push(reason));
    const reason = new Error('client left');
    controller().abort(reason);
    controller().abort(new Error('again'));
    assert.deepEqual(reasons, [reason]);
    assert.equal(controller().aborted, true);
    legacy.onError(reason);
    assert.deepEqual(calls, ['start', 'error client left']);
  });
});
