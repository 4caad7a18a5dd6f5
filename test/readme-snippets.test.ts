/**
 * The README's TypeScript blocks compile as written, in a strict user project
 * (`tsconfig.snippets.json`: the repo's strict options plus `exactOptionalPropertyTypes`), with
 * `tickguard` and its subpaths resolved to the sources. A block preceded by
 * `<!-- snippet: outline -->` is an outline of the API, not code, and is left out. Names a block
 * uses without defining — the app's `scheduler`, a `registry`, the app's own functions — are
 * declared by the prelude below, as the surrounding text supposes them.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

const PRELUDE = `import type { Scheduler } from 'tickguard';
import type { Registry } from 'prom-client';
declare global {
  /** The app's scheduler, in blocks that extend it. */
  const scheduler: Scheduler;
  /** The app's prom-client registry. */
  const registry: Registry;
  /** The app's own work. */
  const invoices: { sync(options: { signal: AbortSignal; fence: number | undefined }): Promise<void> };
  function sync(signal: AbortSignal): Promise<void>;
}
export {};
`;

interface Block {
  readonly file: string;
  /** The line of the block's first code line in the file. */
  readonly line: number;
  readonly code: string;
}

/** The ```ts blocks of a Markdown file, but those marked as outlines. */
function tsBlocks(file: string): Block[] {
  const lines = readFileSync(join(REPO, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (lines[i]!.trim() !== '```ts') continue;
    const outline = lines.slice(Math.max(0, i - 2), i).some((l) => l.trim() === '<!-- snippet: outline -->');
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== '```') end += 1;
    if (!outline) blocks.push({ file, line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** Compiles `blocks` together; returns tsc's diagnostics for the blocks, as `README.md:<line>: …`. */
function compile(blocks: Block[]): string[] {
  const dir = join(REPO, 'test-output', `readme-snippets-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(join(dir, 'prelude.d.ts'), PRELUDE);
    const files = blocks.map((block, index) => {
      const name = `block-${index}.ts`;
      // `export {}` makes each block a module of its own, as each is a file of its own in an app.
      writeFileSync(join(dir, name), `${block.code}\nexport {};\n`);
      return name;
    });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(REPO, 'tsconfig.snippets.json'), files: ['prelude.d.ts', ...files] }));
    let output = '';
    try {
      execFileSync(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8', cwd: dir });
    } catch (error) {
      output = String((error as { stdout?: unknown }).stdout ?? error);
    }
    return output.split('\n').flatMap((line) => {
      const match = /block-(\d+)\.ts\((\d+),(\d+)\): (.*)$/.exec(line);
      if (match === null) return [];
      const block = blocks[Number(match[1])]!;
      return [`${block.file}:${block.line + Number(match[2]) - 1}:${match[3]}: ${match[4]}`];
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('README code blocks', () => {
  it('compile under strict TypeScript with exactOptionalPropertyTypes (and a misused option among them is reported at its line)', () => {
    const blocks = tsBlocks('README.md');
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    // Compiled with them in the same run, so that a check that reports nothing cannot pass.
    const misuse: Block = { file: 'misuse.md', line: 100, code: "import { createScheduler } from 'tickguard';\ncreateScheduler().add({ name: 'x', fixedRate: '10 seconds', run: () => {} });" };
    expect(compile([...blocks, misuse])).toEqual([expect.stringMatching(/^misuse\.md:101:\d+: error TS\d+: Type '"10 seconds"' is not assignable to type 'Duration'/)]);
  }, 60_000);
});
