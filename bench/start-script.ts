/** What follows `node` in package.json's `start` script: the one place Sluice's node flags are set. */
export interface StartScript {
  /** Flags for node, before the entry point (e.g. `--max-semi-space-size=16`). */
  nodeFlags: string[];
  /** The entry point, relative to the repository root. */
  entryPoint: string;
}

/**
 * Reads `scripts.start` from package.json's text, which must be `node [flags] <entry point>`, so the
 * bench starts Sluice exactly as `npm start` does and the flags are never written twice.
 */
export function parseStartScript(packageJson: string): StartScript {
  const start: unknown = (JSON.parse(packageJson) as { scripts?: { start?: unknown } }).scripts?.start;
  const words = typeof start === 'string' ? start.trim().split(/\s+/) : [];
  const entryPoint = words.at(-1);
  if (words[0] !== 'node' || entryPoint === undefined || words.length < 2 || entryPoint.startsWith('-'))
    throw new Error(`package.json's start script is not "node [flags] <entry point>": ${String(start)}`);
  return { nodeFlags: words.slice(1, -1), entryPoint };
}

/**
 * The TypeScript source of a built entry point (`dist/src/main.js` -> `src/main.ts`); a source entry
 * point is its own. Tests run Sluice from its source, so a stale build is never what they test.
 */
export function sourceEntryPoint(entryPoint: string): string {
  const built = /^dist\/(.+)\.js$/.exec(entryPoint);
  return built ? `${built[1]}.ts` : entryPoint;
}
