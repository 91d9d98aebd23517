import { APIConnectionTimeoutError } from 'openai';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import { classifyUpstreamError } from '../shared/classify-upstream-error.ts';

/** Turns what the OpenAI SDK threw into a GatewayError. */
export function classifyOpenAiError(error: unknown): GatewayError {
  // The SDK's timeout error is a plain-named `Error` saying "Request timed out.", which the shared
  // classifier cannot tell apart from any other failure.
  if (error instanceof APIConnectionTimeoutError) {
    return new GatewayError('upstream_timeout', 'upstream sent no response within timeout_ms', {
      retryable: true,
      cause: error,
    });
  }
  return classifyUpstreamError(error);
}
