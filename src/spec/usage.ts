/**
 * Token usage of one request. A field is `undefined` when the provider did not report it:
 * "not reported" is never the same as zero.
 */
export interface Usage {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
}

/** Usage with nothing reported yet. */
export function unknownUsage(): Usage {
  return { inputTokens: undefined, outputTokens: undefined };
}
