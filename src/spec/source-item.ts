import type { StreamPart } from './stream-part.ts';

/** What a request's source yields, and a coalesced call publishes: who answered, then the upstream's parts as they came. */
export type SourceItem = { type: 'start'; model: string; provider: string } | StreamPart;
