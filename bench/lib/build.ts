/**
 * Children run bundled JavaScript, not TypeScript through tsx. tsx transforms with esbuild's
 * `keepNames`, which wraps every closure in `__name(fn, "…")` — an Object.defineProperty on
 * each closure instance, giving it a property backing store (~256 B) and costing CPU wherever
 * closures are made — and `minifyWhitespace`, which puts every function of a file on line 1
 * of a profile. dist/ has neither: tsup bundles without keepNames. So the orchestrator bundles
 * tickguard (src/, or a scratch copy) and the child harness with tsup, the way dist/ is built,
 * and children run them on plain Node. `--via-tsx` keeps the tsx path for comparison.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

/** Inside the repo, so the bundles resolve their external dependencies from node_modules. */
const CACHE = fileURLToPath(new URL('../../node_modules/.cache/tickguard-bench/', import.meta.url));
const CHILD_TS = fileURLToPath(new URL('../child.ts', import.meta.url));

/** Libraries under test stay external: children load them from node_modules exactly as published. */
const EXTERNAL = ['croner', 'cron', 'node-cron', 'toad-scheduler', 'prom-client'];

export interface Bundles {
  /** The child harness. */
  readonly child: string;
  /** tickguard's public entry, bundled from `<srcDir>/index.ts`. */
  readonly tickguard: string;
  /** The same entry bundled from `<baselineSrcDir>/index.ts`, when one was given. */
  readonly baseline?: string;
}

/** Builds older than this are removed; younger ones may belong to a run still going. */
const STALE_MS = 24 * 60 * 60 * 1000;

function pruneStaleBuilds(): void {
  for (const name of readdirSync(CACHE)) {
    const path = join(CACHE, name);
    if (name.startsWith('build-') && Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Bundles the child harness and tickguard from `srcDir` (and from `baselineSrcDir`, for
 * `--baseline`, and any `extra` entries by name) into a fresh directory under node_modules/.cache. One build for all entries,
 * so the baseline gets exactly the options the current source does.
 */
export async function buildBundles(srcDir: string, baselineSrcDir?: string, extra: Readonly<Record<string, string>> = {}): Promise<Bundles> {
  mkdirSync(CACHE, { recursive: true });
  pruneStaleBuilds();
  const outDir = mkdtempSync(join(CACHE, 'build-'));
  const entry: Record<string, string> = { child: CHILD_TS, tickguard: join(resolve(srcDir), 'index.ts') };
  if (baselineSrcDir !== undefined) entry['baseline'] = join(resolve(baselineSrcDir), 'index.ts');
  // Further entries (an integration, say) land next to tickguard.js as <name>.js.
  Object.assign(entry, extra);
  await build({
    entry,
    format: ['esm'],
    outDir,
    target: 'node20',
    platform: 'node',
    external: EXTERNAL,
    dts: false,
    sourcemap: false,
    splitting: false,
    clean: false,
    silent: true,
    config: false,
  });
  return {
    child: join(outDir, 'child.js'),
    tickguard: join(outDir, 'tickguard.js'),
    ...(baselineSrcDir === undefined ? {} : { baseline: join(outDir, 'baseline.js') }),
  };
}
