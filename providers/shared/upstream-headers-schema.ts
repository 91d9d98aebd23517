import { z } from 'zod';

/**
 * Extra request headers. Values may hold secrets: they are checked here, with messages that never
 * quote them, because an HTTP client's own complaint about a bad value would echo it into an error.
 */
export const upstreamHeadersSchema = z.record(
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name'),
  z.string().regex(/^[^\r\n\0]*$/, 'must not contain line breaks or NUL'),
);
