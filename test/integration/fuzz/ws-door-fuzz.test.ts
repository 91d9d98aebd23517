import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { documentedErrorCodes, type FuzzFrame, fuzzFrames } from '../../helpers/fuzz-inputs.ts';
import { type FuzzTarget, startFuzzTarget } from '../../helpers/fuzz-target.ts';

/** Fixed, so a failure can be replayed: change it to explore, keep it to reproduce. */
const seed = 160_001;
const frameCount = 10_000;
/** Close codes docs/protocol.md lists as Sluice's answer to client misbehaviour. */
const documentedCloseCodes = new Set([1002, 1007, 1008, 1009]);
/** A frame left unanswered this long means Sluice dropped it: a hang, not slowness. */
const unansweredAfterMs = 60_000;

interface Tally {
  connections: number;
  /** Requests that ran to their `done`. */
  replies: number;
  closes: Map<number, number>;
  errors: Map<string, number>;
  problems: string[];
}

/** Opens a connection and waits for `ready`. */
async function connect(port: number): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, 'sluice.v1');
  const ready = once(socket, 'message');
  await once(socket, 'open');
  const [data] = await ready;
  assert.equal(JSON.parse(String(data)).type, 'ready');
  return socket;
}

/**
 * Sends frames from `start` on one connection in small bursts, each burst waiting until every frame
 * is answered (by its request's `done`/`error`, or a frame-level `error`) or the connection closes.
 * Returns the index of the first frame not sent.
 */
async function fuzzOneConnection(
  port: number,
  frames: readonly FuzzFrame[],
  start: number,
  tally: Tally,
): Promise<number> {
  const socket = await connect(port);
  tally.connections++;
  const terminals = new Map<string, number>();
  let frameErrors = 0;
  let closeCode: number | undefined;
  let wake = () => {};
  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      tally.problems.push('a binary frame from Sluice');
      return;
    }
    const event = JSON.parse(String(data)) as { type: string; id?: string; code?: string };
    if (!['start', 'delta', 'done', 'error'].includes(event.type)) {
      tally.problems.push(`unexpected event ${String(data).slice(0, 200)}`);
    }
    if (event.type === 'error') {
      const code = String(event.code);
      tally.errors.set(code, (tally.errors.get(code) ?? 0) + 1);
      if (!documentedErrorCodes.has(code) || code === 'internal') {
        tally.problems.push(`error code ${code}: ${String(data).slice(0, 300)}`);
      }
      if (event.id === undefined) frameErrors++;
    }
    if (event.type === 'done') tally.replies++;
    if ((event.type === 'done' || event.type === 'error') && event.id !== undefined) {
      terminals.set(event.id, (terminals.get(event.id) ?? 0) + 1);
    }
    wake();
  });
  let closedByClient = false;
  socket.on('close', (code) => {
    closeCode = code;
    if (closedByClient) return;
    tally.closes.set(code, (tally.closes.get(code) ?? 0) + 1);
    if (!documentedCloseCodes.has(code)) tally.problems.push(`close code ${code}`);
    wake();
  });

  let index = start;
  while (index < frames.length && closeCode === undefined) {
    const owedById = new Map<string, number>();
    const eitherIds: string[] = [];
    let owedFrameErrors = frameErrors;
    let closing: number | undefined;
    const burst = 1 + (index % 6);
    for (let sent = 0; sent < burst && index < frames.length && closing === undefined; sent++, index++) {
      const frame = frames[index]!;
      const id = `f${index}`;
      if (frame.kind === 'invalid-utf8') {
        socket.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false });
        closing = 1007;
      } else if (frame.kind === 'oversize') {
        socket.send('x'.repeat(70_000));
        closing = 1009;
      } else if (frame.kind === 'binary') {
        socket.send(frame.bytes, { binary: true });
        owedFrameErrors++;
      } else {
        socket.send(frame.build(id));
        if (frame.owed === 'frame-error') owedFrameErrors++;
        else if (frame.owed === 'answer-by-id') owedById.set(id, (owedById.get(id) ?? 0) + 1);
        else eitherIds.push(id);
      }
    }
    const answered = () =>
      closeCode !== undefined ||
      ([...owedById].every(([id, count]) => (terminals.get(id) ?? 0) >= count) &&
        frameErrors >= owedFrameErrors + eitherIds.filter((id) => !terminals.has(id)).length);
    const timer = setTimeout(() => {
      tally.problems.push(`frames ${start}..${index} unanswered: ${[...owedById.keys()].join(',')}`);
      socket.terminate();
    }, unansweredAfterMs);
    while (!answered()) await new Promise<void>((resolve) => (wake = resolve));
    clearTimeout(timer);
    if (closing !== undefined) {
      while (closeCode === undefined) await new Promise<void>((resolve) => (wake = resolve));
      // The bad frames before it in the burst may have reached the limit first.
      if (closeCode !== closing && closeCode !== 1008) {
        tally.problems.push(`expected close ${closing}, got ${closeCode}`);
      }
    }
  }
  if (closeCode === undefined) {
    closedByClient = true;
    socket.close(1000);
    await once(socket, 'close');
  }
  return index;
}

describe('the WebSocket door under fuzzed frames', () => {
  let target: FuzzTarget;
  before(async () => {
    target = await startFuzzTarget();
  });
  after(() => target.stop());

  it(`answers ${frameCount} generated frames with documented errors and closes, and stays up`, async () => {
    const frames = fuzzFrames(seed, frameCount);
    const rssBefore = target.rssMiB();
    const tally: Tally = { connections: 0, replies: 0, closes: new Map(), errors: new Map(), problems: [] };
    let index = 0;
    while (index < frames.length) index = await fuzzOneConnection(target.port, frames, index, tally);

    assert.deepEqual(tally.problems.slice(0, 20), [], `seed ${seed}`);
    // The fuzz reached what it aims at: bad frames, the limits, and real replies.
    for (const code of ['bad_request', 'not_found']) assert.ok(tally.errors.has(code), `some ${code}`);
    for (const code of [1007, 1008, 1009]) assert.ok(tally.closes.has(code), `some close ${code}`);
    assert.ok(tally.connections > 10);
    assert.ok(tally.replies > 100, `${tally.replies} requests ran to their done`);
    await target.assertRecovered(rssBefore);
  });
});
