import assert from 'node:assert/strict';
import { it } from 'node:test';
import { hooksConfigSchema } from '../../../src/hooks/hook-config-schema.ts';

const issuesOf = (raw: unknown) => {
  const result = hooksConfigSchema.safeParse(raw);
  assert.equal(result.success, false);
  return result.error!.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
};

it('fills in the defaults: no hooks, and for each entry no options, fail closed, 1000 ms', () => {
  assert.deepEqual(hooksConfigSchema.parse(undefined), []);
  assert.deepEqual(
    hooksConfigSchema.parse([{ use: 'pii-redactor' }, { use: './hooks/audit.ts', name: 'audit' }]),
    [
      { use: 'pii-redactor', options: {}, fail_open: false, timeout_ms: 1000 },
      { use: './hooks/audit.ts', options: {}, fail_open: false, timeout_ms: 1000, name: 'audit' },
    ],
  );
});

it('accepts module paths ending in .js, .mjs, .ts or .mts', () => {
  const entries = ['./a.js', '../b.mjs', '/opt/hooks/c.ts', 'd.mts'].map((use) => ({ use }));
  assert.equal(hooksConfigSchema.parse(entries).length, 4);
});

it('refuses an unknown hook name, naming the built-in hooks', () => {
  const [issue] = issuesOf([{ use: 'pii-redacter' }]);
  assert.equal(issue!.path, '0.use');
  assert.match(issue!.message, /"pii-redactor", "blocked-terms" or a path to a \.js or \.ts module/);
});

it("checks a built-in hook's options when the config is loaded, at the option's path", () => {
  assert.deepEqual(
    issuesOf([{ use: 'pii-redactor', options: { window_chars: 8 } }, { use: 'blocked-terms' }]).map(
      (issue) => issue.path,
    ),
    ['0.options.window_chars', '1.options.terms'],
  );
  assert.equal(
    issuesOf([{ use: 'blocked-terms', options: { terms: ['x'], code: 'nope' } }])[0]!.path,
    '0.options.code',
  );
});

it('refuses unknown fields and a timeout that is not a positive whole number', () => {
  assert.deepEqual(
    issuesOf([
      { use: 'pii-redactor', failopen: true },
      { use: 'pii-redactor', timeout_ms: 0 },
    ]).map((issue) => issue.path),
    ['0', '1.timeout_ms'],
  );
});
