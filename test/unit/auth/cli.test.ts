import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { authConfigSchema } from '../../../src/auth/auth-config-schema.ts';
import { createAuthenticator } from '../../../src/auth/create-authenticator.ts';
import { hashApiKey } from '../../../src/auth/hash-api-key.ts';

const root = new URL('../../../', import.meta.url).pathname;

/** Runs `node src/cli.ts …` as the `sluice` bin does. */
function runCli(args: string[]) {
  return spawnSync(process.execPath, ['src/cli.ts', ...args], { cwd: root, encoding: 'utf8' });
}

describe('sluice hash-key', () => {
  it('prints the hash of the key it is given, and nothing else', () => {
    const result = runCli(['hash-key', 'abc']);
    assert.equal(result.status, 0);
    assert.equal(result.stdout, `${hashApiKey('abc')}\n`);
    assert.equal(result.stderr, '');
  });

  it('generates a new key and prints it with its hash and a config snippet that lets it in', async () => {
    const result = runCli(['hash-key', '--user', 'alice', '--plan', 'pro']);
    assert.equal(result.status, 0);
    const key = /^key: +(\S+)$/m.exec(result.stdout)?.[1];
    const hash = /^hash: +(\S+)$/m.exec(result.stdout)?.[1];
    assert.match(key ?? '', /^sk-sluice-[\w-]{43}$/);
    assert.equal(hash, hashApiKey(key!));

    const snippet = result.stdout.slice(result.stdout.indexOf('auth:'));
    const config = authConfigSchema.parse((parseYaml(snippet) as { auth: unknown }).auth);
    const identity = await createAuthenticator(config).authenticate(key);
    assert.deepEqual(identity, { user: 'key:alice', plan: 'pro', kind: 'api_key', admin: false });
  });

  it('exits 2 with the usage on an unknown command, option or extra argument', () => {
    for (const args of [[], ['hash'], ['hash-key', 'a', 'b'], ['hash-key', '--colour']]) {
      const result = runCli(args);
      assert.equal(result.status, 2, args.join(' '));
      assert.match(result.stderr, /usage: sluice hash-key \[key\]/);
      assert.equal(result.stdout, '');
    }
  });

  it('prints the usage and exits 0 when asked for help', () => {
    const result = runCli(['--help']);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^usage: sluice hash-key/);
  });
});
