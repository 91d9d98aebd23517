import { APIError } from '@anthropic-ai/sdk';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import { classifyUpstreamError, errorFromUpstreamStatus } from '../shared/classify-upstream-error.ts';

/** The HTTP status Anthropic pairs with each error type, for errors that arrive as a stream event without one. */
const statusOfErrorType: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

function withoutSecret(error: GatewayError, secret: string): GatewayError {
  const cause = error.cause instanceof Error ? error.cause.message : '';
  if (!error.message.includes(secret) && !cause.includes(secret)) return error;
  // The SDK's error quotes the upstream's whole reply, so it is dropped rather than passed on to logs.
  return new GatewayError(error.code, error.message.replaceAll(secret, '[redacted]'), {
    retryable: error.retryable,
    retryAfterMs: error.retryAfterMs,
    closeCode: error.closeCode,
    upstreamStatus: error.upstreamStatus,
  });
}

/**
 * Turns whatever the Anthropic SDK threw into a GatewayError: HTTP errors and in-stream `error`
 * events by Anthropic's error type, anything else by the shared classifier. `secret` never
 * appears in the result, even when an upstream echoes it.
 */
export function classifyAnthropicError(error: unknown, secret: string): GatewayError {
  let classified: GatewayError;
  if (error instanceof APIError && error.type) {
    // Own entries only: the type is the upstream's word, and `constructor` must not become a status.
    const typeStatus = Object.hasOwn(statusOfErrorType, error.type)
      ? statusOfErrorType[error.type]
      : undefined;
    const status = error.status ?? typeStatus ?? 500;
    const message = `${error.type}: ${error.apiMessage ?? error.message}`;
    classified = errorFromUpstreamStatus(status, message, error.headers?.get('retry-after'), error);
  } else {
    classified = classifyUpstreamError(error);
  }
  return withoutSecret(classified, secret);
}
