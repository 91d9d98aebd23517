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
 * The connections `openFiles` descriptors allow: half of those left after the reserve, since each client
 * connection may hold one upstream connection as well.
 */
export function maxConnectionsFor(openFiles: number | undefined): number {
  return Math.max(1, Math.floor(((openFiles ?? assumedOpenFiles) - reservedFiles) / 2));
}

/** `server.max_connections` when the config leaves it out, from this process's open-file limit. */
export function defaultMaxConnections(): number {
  return maxConnectionsFor(readOpenFileLimit());
}

function readOpenFileLimit(): number | undefined {
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}
