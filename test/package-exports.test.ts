/**
 * The package's entry points, as TypeScript resolves them under every `moduleResolution`:
 * `exports` for node16/nodenext/bundler, `typesVersions` for node10 (which ignores `exports`).
 * `npm run attw` checks the built package; this keeps the two maps in step before any build.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Conditions {
  readonly import: { readonly types: string; readonly default: string };
  readonly require: { readonly types: string; readonly default: string };
}
const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as {
  exports: Record<string, Conditions | string>;
  typesVersions: Record<string, Record<string, string[]>>;
  types: string;
};

const subpaths = Object.entries(pkg.exports).filter((entry): entry is [string, Conditions] => typeof entry[1] === 'object' && entry[0] !== '.');

describe('package entry points', () => {
  it('every subpath export has a node10 typesVersions entry pointing at its ESM types, and nothing else has one', () => {
    const map = pkg.typesVersions['*'] ?? {};
    expect(Object.fromEntries(subpaths.map(([path, conditions]) => [path.slice(2), [conditions.import.types]]))).toEqual(map);
    expect(subpaths.length).toBeGreaterThan(0);
  });

  it('the root types are the root export’s, and each subpath ships ESM and CJS with their own types', () => {
    const root = pkg.exports['.'] as Conditions;
    expect(pkg.types).toBe(root.import.types);
    for (const [path, { import: esm, require: cjs }] of [['.', root] as const, ...subpaths]) {
      expect([esm.default.endsWith('.js'), esm.types.endsWith('.d.ts'), cjs.default.endsWith('.cjs'), cjs.types.endsWith('.d.cts')], path).toEqual([true, true, true, true]);
    }
  });
});
