import type { CompletionUsage } from 'openai/resources/completions';
import type { Usage } from '../../src/spec/usage.ts';

/** Reads OpenAI's usage block, keeping every count it did not report `undefined`. */
export function convertOpenAiUsage(usage: CompletionUsage | null | undefined): Usage {
  return {
    inputTokens: usage?.prompt_tokens ?? undefined,
    outputTokens: usage?.completion_tokens ?? undefined,
  };
}
