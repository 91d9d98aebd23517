import assert from 'node:assert/strict';
import { it } from 'node:test';
import { GatewayError } from '../../../src/errors/gateway-error.ts';
import { mergeTextRuns } from '../../../src/pipeline/pump-to-broadcast.ts';
import type { SourceItem } from '../../../src/spec/source-item.ts';

const start: SourceItem = { type: 'start', model: 'm', provider: 'p' };
const text = (value: string): SourceItem => ({ type: 'text-delta', text: value });
const reasoning = (value: string): SourceItem => ({ type: 'reasoning-delta', text: value });
const toolCall = (argumentsDelta: string): SourceItem => ({
  type: 'tool-call-delta',
  index: 0,
  argumentsDelta,
});

it('merges each run of text deltas, and each run of reasoning deltas, into one delta', () => {
  assert.deepEqual(
    mergeTextRuns([start, reasoning('thinking '), reasoning('hard'), text('Hel'), text('lo'), text('!')]),
    [start, reasoning('thinking hard'), text('Hello!')],
  );
});

it('goes on from a delta merged before', () => {
  const before = mergeTextRuns([text('a'), text('b')]);
  assert.deepEqual(mergeTextRuns([...before, text('c'), text('d')]), [text('abcd')]);
});

it('never merges tool-call deltas, terminal items or deltas of different kinds', () => {
  const finish: SourceItem = {
    type: 'finish',
    finishReason: 'tool_calls',
    usage: { inputTokens: 1, outputTokens: 2 },
  };
  const failure: SourceItem = { type: 'error', error: new GatewayError('upstream_error', 'cut') };
  const items = [
    text('a'),
    reasoning('b'),
    text('c'),
    toolCall('{"x":'),
    toolCall('1}'),
    text('d'),
    failure,
    text('e'),
    finish,
  ];
  assert.deepEqual(mergeTextRuns(items), items);
});
