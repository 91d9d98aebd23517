import type { LoadShape } from './fake-load-upstream.ts';
import type { BurstReading } from './load-generator.ts';

/** One measured situation; stream scenarios also run straight against the fake upstream, for the baseline. */
export type Scenario = StreamScenario | IdleScenario;

/** Streams of tokens for a fixed time. */
export interface StreamScenario {
  kind: 'streams';
  name: string;
  description: string;
  door: 'ws' | 'http';
  streams: number;
  /** The WebSocket connections the streams share. */
  connections: number;
  shape: LoadShape;
  shortSeconds: number;
  fullSeconds: number;
  /** Also run the same load straight against the fake upstream. */
  baseline: boolean;
  /** The client alternately stops reading and reads. */
  burstReading?: BurstReading;
}

/** WebSocket connections that stay open and send nothing. */
export interface IdleScenario {
  kind: 'idle';
  name: string;
  description: string;
  connections: number;
  shortSeconds: number;
  fullSeconds: number;
}

const chatShape: LoadShape = { tokens: 100, minGapMs: 0, maxGapMs: 5 };

/** Every scenario, in the order they run: the idle one last, on a fresh Sluice of its own. */
export const scenarios: Scenario[] = [
  {
    kind: 'streams',
    name: '1-stream',
    description: '1 stream of 100 tokens, 0-5 ms apart',
    door: 'ws',
    streams: 1,
    connections: 1,
    shape: chatShape,
    shortSeconds: 2,
    fullSeconds: 10,
    baseline: true,
  },
  {
    kind: 'streams',
    name: '50-streams',
    description: '50 streams of 100 tokens, 0-5 ms apart, one connection each',
    door: 'ws',
    streams: 50,
    connections: 50,
    shape: chatShape,
    shortSeconds: 3,
    fullSeconds: 15,
    baseline: true,
  },
  {
    kind: 'streams',
    name: '200-streams',
    description: '200 streams of 100 tokens, 0-5 ms apart, one connection each',
    door: 'ws',
    streams: 200,
    connections: 200,
    shape: chatShape,
    shortSeconds: 3,
    fullSeconds: 15,
    baseline: true,
  },
  {
    kind: 'streams',
    name: '100-on-one',
    description: 'one connection carrying 100 concurrent streams',
    door: 'ws',
    streams: 100,
    connections: 1,
    shape: chatShape,
    shortSeconds: 3,
    fullSeconds: 15,
    baseline: true,
  },
  {
    kind: 'streams',
    name: '50-http',
    description: '50 streams through the HTTP door (OpenAI SSE)',
    door: 'http',
    streams: 50,
    connections: 0,
    shape: chatShape,
    shortSeconds: 3,
    fullSeconds: 15,
    baseline: true,
  },
  {
    kind: 'streams',
    name: '500-slow',
    description: '500 slow streams of 100 tokens, 20-40 ms apart',
    door: 'ws',
    streams: 500,
    connections: 500,
    shape: { tokens: 100, minGapMs: 20, maxGapMs: 40 },
    shortSeconds: 3,
    fullSeconds: 20,
    baseline: true,
  },
  {
    kind: 'streams',
    name: 'slow-reader',
    description:
      'one client that stops reading 1 s out of every 1.25 s, 10 streams of 2000 1 KB tokens 1 ms apart',
    door: 'ws',
    streams: 10,
    connections: 1,
    // Large tokens: the stalled client's kernel buffers (several MB on loopback) fill within the stall.
    shape: { tokens: 2000, minGapMs: 1, maxGapMs: 1, tokenChars: 1000 },
    shortSeconds: 2,
    fullSeconds: 10,
    baseline: false,
    burstReading: { pauseMs: 1000, readMs: 250 },
  },
  {
    kind: 'idle',
    name: '10k-idle',
    description: '10,000 idle WebSocket connections',
    connections: 10_000,
    shortSeconds: 3,
    fullSeconds: 10,
  },
];
