/**
 * tickguard built as it is published — ESM and CommonJS, per `package.json` `exports` — into a
 * folder of `test-output/`, with an app folder whose `node_modules/tickguard` links to it, for
 * tests that load the package the way an application does. Inside the repo, so the package's
 * own dependencies resolve from the repo's `node_modules`, as from an app's.
 */
import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface BuiltPackage {
  /** The package's folder: `package.json` and `dist/`. */
  readonly root: string;
  /** An app folder beside it, resolving `tickguard` to the package. */
  readonly app: string;
  /** Writes `files` (paths relative to the app folder) and returns the app folder. */
  write(files: Record<string, string>): string;
  remove(): void;
}

/** Builds the entries `tsup.config.ts` builds (JavaScript only, no declarations) under `test-output/<name>-<pid>`. */
export async function buildPackage(name: string): Promise<BuiltPackage> {
  const root = join(REPO, 'test-output', `${name}-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  await build({
    entry: { index: 'src/index.ts', http: 'src/integrations/http.ts', prometheus: 'src/integrations/prometheus.ts' },
    format: ['esm', 'cjs'],
    outDir: join(root, 'dist'),
    target: 'node20',
    splitting: true,
    sourcemap: false,
    dts: false,
    silent: true,
    config: false,
    external: ['prom-client', '@opentelemetry/api', 'pino', 'ioredis', 'pg'],
  });
  copyFileSync(join(REPO, 'package.json'), join(root, 'package.json'));
  const app = join(root, 'app');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  symlinkSync(root, join(app, 'node_modules', 'tickguard'), 'dir');
  return {
    root,
    app,
    write(files) {
      for (const [path, text] of Object.entries(files)) {
        const file = join(app, path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text);
      }
      return app;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
