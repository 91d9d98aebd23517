#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { generateApiKey, hashApiKey } from './auth/hash-api-key.ts';

const usage = `usage: sluice hash-key [key] [--user name] [--plan name]
  with a key:    prints the key's hash, for auth.api_keys or auth.admin_keys
  without a key: generates a new key and prints it once, with its hash and a config snippet`;

/** Prints a new key (shown once; only its hash is kept) and the config lines for it. */
function printNewKey(user: string, plan: string): void {
  const key = generateApiKey();
  const hash = hashApiKey(key);
  process.stdout.write(
    [
      `key:  ${key}`,
      `hash: ${hash}`,
      '',
      '# Give the key to its user now: Sluice stores only the hash. In the config:',
      'auth:',
      '  api_keys:',
      `    - { hash: "${hash}", user: ${JSON.stringify(user)}, plan: ${JSON.stringify(plan)} }`,
      '',
    ].join('\n'),
  );
}

const options = {
  user: { type: 'string', default: '<name>' },
  plan: { type: 'string', default: 'default' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Parses the arguments; `undefined` (after saying why) when they are not ours. */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true });
  } catch (error) {
    process.stderr.write(`sluice: ${(error as Error).message}\n`);
    return undefined;
  }
}

/** The `sluice` command line; answers 0, or 2 with the usage for anything it does not know. */
function main(argv: string[]): number {
  const parsed = parseCommandLine(argv);
  if (parsed?.values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const [command, key, ...extra] = parsed?.positionals ?? [];
  if (parsed === undefined || command !== 'hash-key' || extra.length > 0 || key === '') {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  if (key === undefined) printNewKey(parsed.values.user, parsed.values.plan);
  else process.stdout.write(`${hashApiKey(key)}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
