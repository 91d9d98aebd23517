import pino, { type DestinationStream, type Logger } from 'pino';
import { boundText } from './bound-text.ts';
import { safeErrorFields, safeLogFields } from './safe-log-fields.ts';

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

/**
 * The process logger: JSON lines, secrets redacted, long strings bounded (see `safeLogFields`).
 * Requests log through child loggers of it.
 */
export function createLogger({ level, destination }: CreateLoggerOptions): Logger {
  const logger = pino(
    {
      level,
      base: { service: 'sluice' },
      // Every line's fields, its message and a logged error are made safe; child loggers' bindings
      // below (the base bindings are Sluice's own `service`).
      formatters: { log: safeLogFields },
      serializers: {
        msg: (message: unknown) => (typeof message === 'string' ? boundText(message) : message),
        err: (error: unknown) => safeErrorFields(pino.stdSerializers.err(error as Error)),
      },
    },
    destination ?? pino.destination({ sync: false, minLength: batchBytes, periodicFlush: flushEveryMs }),
  );
  // Pino writes a child's bindings once, past the `log` formatter. A child's `child` is this one
  // too: pino makes each child with the parent as its prototype.
  const childOf = logger.child;
  logger.child = function child(this: Logger, bindings, options) {
    return childOf.call(this, safeLogFields(bindings), options);
  } as Logger['child'];
  return logger;
}
