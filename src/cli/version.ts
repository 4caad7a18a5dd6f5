/**
 * The package's version, read from its package.json. The path is the same from the source
 * (src/cli/version.ts) and from the bundle (dist/cli/main.js): two levels up.
 */
import { readFileSync } from 'node:fs';

/** The version in package.json, or `'unknown'` when it cannot be read. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch (error) {
    process.emitWarning(`tickguard: cannot read package.json for the version: ${error instanceof Error ? error.message : String(error)}`);
    return 'unknown';
  }
}
