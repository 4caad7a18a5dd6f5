/**
 * README "Bundling for Node": a small app using tickguard, its Prometheus integration, prom-client
 * and pino — CommonJS packages that `require()` Node's built-ins — bundled by esbuild as an ESM
 * file and run. Without a `require` in scope the bundle fails at start-up, as the README warns;
 * each of the README's commands gives a bundle that runs the schedule and serves its metrics.
 * The commands are read from the README, so the test runs what users copy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { buildPackage, REPO, type BuiltPackage } from './support/built-package.js';

const ESBUILD_BIN = createRequire(import.meta.url).resolve('esbuild/bin/esbuild');
/** esbuild's bin is a Node script, or the native binary its install step may have put in its place. */
const ESBUILD: [string, string[]] = readFileSync(ESBUILD_BIN).subarray(0, 2).toString() === '#!' ? [process.execPath, [ESBUILD_BIN]] : [ESBUILD_BIN, []];

const APP = `
import { createScheduler, TestClock } from 'tickguard';
import { registerMetrics } from 'tickguard/prometheus';
import { Registry } from 'prom-client';
import pino from 'pino';

const clock = new TestClock(0);
const scheduler = createScheduler({ clock, logger: pino({ level: 'silent' }) });
const registry = new Registry();
registerMetrics(scheduler, { registry });
let runs = 0;
scheduler.add({ name: 'bundled', fixedRate: '1s', run: () => { runs += 1; } });
await clock.advance(3_000);
const stopping = scheduler.stop();
await clock.advance(1);
await stopping;
const text = await registry.metrics();
console.log(JSON.stringify({ runs, counted: /tickguard_runs_total\\{[^}]*job="bundled"[^}]*\\} 3/.test(text) }));
`;

/** The esbuild commands of the README's "Bundling for Node" section, one per line. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Bundling for Node'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('npx esbuild '));
}

/** Splits a shell command line into its words (single and double quotes; no expansions used in the README). */
function words(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

let pkg: BuiltPackage;
let app: string;
beforeAll(async () => {
  pkg = await buildPackage('bundling');
  app = pkg.write({ 'app.ts': APP });
}, 60_000);
afterAll(() => pkg?.remove());

/** Runs esbuild with `args` (the words after `npx esbuild`) in the app folder, then the bundle. */
function bundleAndRun(args: string[]): { built: number; status: number | null; stdout: string; stderr: string } {
  const built = spawnSync(ESBUILD[0], [...ESBUILD[1], ...args, '--log-level=error'], { cwd: app, encoding: 'utf8' });
  if (built.status !== 0) return { built: built.status ?? -1, status: null, stdout: '', stderr: built.stderr };
  const outfile = args.find((a) => a.startsWith('--outfile='))!.slice('--outfile='.length);
  const run = spawnSync(process.execPath, [join(app, outfile)], { cwd: app, encoding: 'utf8', timeout: 30_000 });
  return { built: 0, status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('bundling an app with esbuild for Node', () => {
  it('an ESM bundle without a require in scope fails on a dependency’s require()', () => {
    const result = bundleAndRun(['app.ts', '--bundle', '--platform=node', '--format=esm', '--outfile=dist/plain.mjs']);
    expect(result.built).toBe(0);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Dynamic require of "[^"]+" is not supported/);
  });

  it('each command of the README gives a bundle that runs the schedule and its metrics', () => {
    const commands = readmeCommands();
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const command of commands) {
      const args = words(command).slice(2).map((word) => word.replace(/^src\/main\.ts$/, 'app.ts'));
      const result = bundleAndRun(args);
      expect([result.built, result.status, result.stderr], command).toEqual([0, 0, '']);
      expect(JSON.parse(result.stdout), command).toEqual({ runs: 3, counted: true });
    }
  });
});
