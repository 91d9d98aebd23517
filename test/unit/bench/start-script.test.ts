import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseStartScript, sourceEntryPoint } from '../../../bench/start-script.ts';

const startScript = (start: unknown) => JSON.stringify({ scripts: { start } });

describe("the start script's node flags", () => {
  it('are the words between node and the entry point', () => {
    assert.deepEqual(parseStartScript(startScript('node --max-semi-space-size=16 --trace-gc src/main.ts')), {
      nodeFlags: ['--max-semi-space-size=16', '--trace-gc'],
      entryPoint: 'src/main.ts',
    });
    assert.deepEqual(parseStartScript(startScript('node src/main.ts')), {
      nodeFlags: [],
      entryPoint: 'src/main.ts',
    });
  });

  it('refuse a start script of another shape rather than guess', () => {
    for (const start of ['npx tsx src/main.ts', 'node', 'node --inspect', undefined]) {
      assert.throws(() => parseStartScript(startScript(start)), /not "node \[flags\] <entry point>"/);
    }
  });

  it("read this repository's package.json: Sluice's build, with its V8 heap flags", () => {
    const packageJson = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
    assert.deepEqual(parseStartScript(packageJson), {
      nodeFlags: ['--max-semi-space-size=8', '--heap-growing-percent=60'],
      entryPoint: 'dist/src/main.js',
    });
  });

  it('lead a built entry point back to its TypeScript source', () => {
    assert.equal(sourceEntryPoint('dist/src/main.js'), 'src/main.ts');
    assert.equal(sourceEntryPoint('src/main.ts'), 'src/main.ts');
  });
});
