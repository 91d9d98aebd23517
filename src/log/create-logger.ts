import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Paths that may hold a secret in anything Sluice logs. Pino replaces them before a line is
 * written, so a careless `log.info({ headers })` still cannot leak a key.
 */
const secretPaths = [
  'api_key',
  '*.api_key',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
];

export interface CreateLoggerOptions {
  level: string;
  /** Where lines go; standard output by default. */
  destination?: DestinationStream;
}

/** The process logger: JSON lines, secrets redacted. Requests log through child loggers of it. */
export function createLogger({ level, destination }: CreateLoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service: 'sluice' },
      redact: { paths: secretPaths, censor: '[redacted]' },
    },
    destination ?? pino.destination({ sync: false }),
  );
}
