import { readFileSync } from 'node:fs';

/** Open files kept back from connections: the ledger, log output, stdio and Node's own handles. */
const reservedFiles = 64;

/** The open-file limit assumed where the process's cannot be read (outside Linux). */
const assumedOpenFiles = 4096;

/** The soft `Max open files` of a `/proc/<pid>/limits` text; undefined when it is missing or unlimited. */
export function parseOpenFileLimit(limits: string): number | undefined {
  const soft = /^Max open files\s+(\d+)\s/m.exec(limits)?.[1];
  return soft === undefined ? undefined : Number(soft);
}

/**
 * `server.max_connections` when the config leaves it out: half of the open files left after the reserve,
 * since each client connection may hold one upstream connection as well.
 */
export function defaultMaxConnections(openFiles = readOpenFileLimit()): number {
  return Math.max(1, Math.floor(((openFiles ?? assumedOpenFiles) - reservedFiles) / 2));
}

function readOpenFileLimit(): number | undefined {
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}
