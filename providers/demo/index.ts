import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineProviderKind } from '../../src/spec/provider-kind.ts';
import type { StreamPart } from '../../src/spec/stream-part.ts';
import { countMessageTokens } from '../../src/usage/count-tokens.ts';
import { startOnFirstPart } from '../shared/start-on-first-part.ts';
import { demoReply, splitIntoTokens } from './demo-reply.ts';

const demoConfigSchema = z.object({
  type: z.literal('demo'),
  /** Mean pause between tokens; each pause varies deterministically around it, like a real model. */
  token_delay_ms: z.number().int().min(0).max(10_000).default(35),
});

/** The built-in provider: a deterministic reply with realistic pacing, needing no network or key. */
export const demoProvider = defineProviderKind({
  type: 'demo',
  configSchema: demoConfigSchema,
  create(config) {
    return {
      async stream(request, { signal }) {
        const tokens = splitIntoTokens(demoReply(request.messages));
        const limit = request.maxTokens ?? Number.POSITIVE_INFINITY;
        const inputTokens = countMessageTokens(request.messages);
        async function* generate(): AsyncGenerator<StreamPart> {
          let sent = 0;
          for (const token of tokens) {
            if (sent >= limit) {
              yield { type: 'finish', finishReason: 'length', usage: { inputTokens, outputTokens: sent } };
              return;
            }
            if (config.token_delay_ms > 0) {
              // Vary the pause between 50% and 150% of the mean, the same way on every run.
              const jitter = 0.5 + ((sent * 7919) % 100) / 100;
              await sleep(Math.round(config.token_delay_ms * jitter), undefined, { signal });
            }
            sent++;
            yield { type: 'text-delta', text: token };
          }
          yield { type: 'finish', finishReason: 'stop', usage: { inputTokens, outputTokens: sent } };
        }
        return startOnFirstPart(generate(), signal);
      },
    };
  },
});
