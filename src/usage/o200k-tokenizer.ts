import { createRequire } from 'node:module';

/** The o200k tokenizer's functions (gpt-tokenizer's default encoding). */
export type O200kTokenizer = typeof import('gpt-tokenizer');

const require = createRequire(import.meta.url);
let tokenizer: O200kTokenizer | undefined;

/**
 * The o200k tokenizer, loaded at its first use: its tables take about 70 MiB, and a Sluice whose
 * providers report usage and whose plans have no token limits never needs them. `require` keeps
 * the callers synchronous; the package ships a CommonJS build.
 */
export function o200kTokenizer(): O200kTokenizer {
  tokenizer ??= require('gpt-tokenizer') as O200kTokenizer;
  return tokenizer;
}
