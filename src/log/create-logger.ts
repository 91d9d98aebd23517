import pino, { type DestinationStream, type Logger } from 'pino';
import { censorSecrets, secretFieldSerializers } from './censor-secrets.ts';

export interface CreateLoggerOptions {
  level: string;
  /** Where lines go; standard output by default. */
  destination?: DestinationStream;
}

/**
 * Lines are gathered up to this many bytes before one write to standard output. A write per line
 * cost the relay ~4% of its CPU at 50 streams (one thread-pool hop and one pipe wake-up per request).
 */
const batchBytes = 4096;
/** How long a gathered line may wait for others: a quiet server's lines still show at once to a person. */
const flushEveryMs = 100;

/** The process logger: JSON lines, secrets redacted. Requests log through child loggers of it. */
export function createLogger({ level, destination }: CreateLoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service: 'sluice' },
      // Secrets are censored in every line's fields, in logged errors and in child loggers' bindings
      // (the base bindings are Sluice's own `service`).
      formatters: { log: censorSecrets },
      serializers: {
        ...secretFieldSerializers,
        err: (error: Error) => censorSecrets(pino.stdSerializers.err(error)),
      },
    },
    destination ?? pino.destination({ sync: false, minLength: batchBytes, periodicFlush: flushEveryMs }),
  );
}
