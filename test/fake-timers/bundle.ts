/**
 * The package as a CommonJS bundle of the sources, for the tools that load it through `require`:
 * jest, and Node's module loader under `@sinonjs/fake-timers`, which replaces the functions of
 * the `timers` module itself (not only the globals) for code that reads them at call time.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

/**
 * Bundles `entry` (a path from the repository's root; the package's `src/index.ts` by default)
 * into a fresh temporary directory; returns the bundle's path.
 */
export function buildCommonJsBundle(entry = 'src/index.ts'): string {
  const outfile = join(mkdtempSync(join(tmpdir(), 'tickguard-bundle-')), 'bundle.cjs');
  buildSync({
    entryPoints: [fileURLToPath(new URL(`../../${entry}`, import.meta.url))],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}
