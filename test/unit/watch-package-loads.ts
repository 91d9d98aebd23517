import { registerHooks } from 'node:module';

/**
 * Records every file of `packageName` this process loads from now on, by `import` or `require`.
 * Modules to watch must be imported (dynamically) after this call.
 */
export function watchPackageLoads(packageName: string): { loaded: () => boolean } {
  const marker = `/node_modules/${packageName}/`;
  let seen = false;
  registerHooks({
    load(url, context, nextLoad) {
      if (url.includes(marker)) seen = true;
      return nextLoad(url, context);
    },
  });
  return { loaded: () => seen };
}
