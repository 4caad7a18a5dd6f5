/**
 * `tickguard lab` end to end: real child processes, real timers, a real browser. The figures
 * are checked for what they must show (the naive pile-up grows, tickguard stays within its
 * bound), never for wall-clock values beyond generous sanity.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { Redis } from 'ioredis';
import pg from 'pg';
import { CHROMIUM_ARGS, findChromium } from './support/chromium.js';
import { POSTGRES_URL, REDIS_URL, storeAvailable } from './support/services.js';

const CHROMIUM = findChromium('lab report browser test');
/** The replicas scene runs against the real local stores; outside CI a store that is not running skips its part. */
const REDIS = await storeAvailable('tickguard lab replicas scene (Redis)', REDIS_URL);
const POSTGRES = await storeAvailable('tickguard lab replicas scene (PostgreSQL)', POSTGRES_URL);
/** The flags that run the scene through the test Redis, or turn it off when there is none. */
const REDIS_SCENE = REDIS ? ['--redis', REDIS_URL] : ['--no-replicas'];
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabReport } from '../src/cli/lab/protocol.js';
import { STRATEGY_NAMES } from '../src/cli/lab/strategies.js';
import { REPO, runCli, type CliResult } from './lab/run-cli.js';

const work = mkdtempSync(join(tmpdir(), 'tickguard-lab-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

describe('tickguard lab --json (all strategies, short run)', () => {
  const reportPath = join(work, 'report', 'lab.html');
  let run: CliResult;
  let report: LabReport;

  beforeAll(async () => {
    run = await runCli(['lab', '--duration', '2s', '--interval', '50ms', '--json', '--out', reportPath, ...(REDIS ? ['--replicas', ...REDIS_SCENE] : REDIS_SCENE)]);
    report = JSON.parse(run.stdout) as LabReport;
  }, 60_000);

  it('exits 0 and prints nothing but one JSON object on stdout', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trimStart().startsWith('{')).toBe(true);
    expect(report.tool).toBe('tickguard lab');
    expect(report.version).toBe(VERSION);
    expect(report.config).toMatchObject({ durationMs: 2_000, intervalMs: 50, serviceTimeMs: 75, capacity: 1 });
    expect(report.strategies.map((s) => s.name)).toEqual([...STRATEGY_NAMES]);
    expect(report.ok).toBe(true);
    expect(report.violations).toEqual([]);
  });

  it('shows the avalanche: naive-setInterval piles up runs well beyond the downstream capacity', () => {
    const naive = report.strategies.find((s) => s.name === 'naive-setInterval')!;
    expect(naive.status).toBe('ok');
    expect(naive.maxConcurrency).toBeNull();
    // 20 ticks/s against 13.3 served/s for 2s: about 13 in flight; 5 leaves room for a slow machine.
    expect(naive.peakInFlight).toBeGreaterThanOrEqual(5);
    expect(naive.peakQueue).toBeGreaterThanOrEqual(4);
    expect(naive.inFlightAfterStop).toBeGreaterThan(0);
  });

  it('shows the leaks: timers for naive-timer-leak, abort listeners for naive-rearm-listener-leak', () => {
    const leak = report.strategies.find((s) => s.name === 'naive-timer-leak')!;
    expect(leak.peakInFlight).toBe(1);
    expect(leak.handlesAfterStop.Timeout ?? 0).toBeGreaterThanOrEqual(5);
    const rearm = report.strategies.find((s) => s.name === 'naive-rearm-listener-leak')!;
    expect(rearm.peakAbortListeners ?? 0).toBeGreaterThanOrEqual(5);
  });

  it('runs the naive strategies under the doctor and keeps what it saw; tickguard\'s run without it', () => {
    const saw = Object.fromEntries(report.strategies.map((s) => [s.name, s.doctor === null ? null : [...new Set(s.doctor.findings.map((f) => f.kind))]]));
    // Each naive one's own kind (the doctor's tests pin the rest, on longer runs).
    expect(saw).toEqual({
      'naive-setInterval': expect.arrayContaining(['overlap']),
      'naive-timer-leak': expect.arrayContaining(['timer-leak']),
      'naive-rearm-listener-leak': expect.arrayContaining(['rearmed-after-stop']),
      'tickguard-serial': null,
      'tickguard-pool-skip': null,
      'tickguard-fixed-delay': null,
    });
  });

  it('keeps every tickguard strategy within maxConcurrency, with a clean stop and no timer left', () => {
    const tickguard = report.strategies.filter((s) => s.kind === 'tickguard');
    expect(tickguard.map((s) => [s.name, s.maxConcurrency])).toEqual([
      ['tickguard-serial', 1],
      ['tickguard-pool-skip', 2],
      ['tickguard-fixed-delay', 1],
    ]);
    for (const strategy of tickguard) {
      expect(strategy.status, strategy.name).toBe('ok');
      expect(strategy.completedRuns, strategy.name).toBeGreaterThan(0);
      expect(strategy.peakInFlight, strategy.name).toBeGreaterThanOrEqual(1);
      expect(strategy.peakInFlight, strategy.name).toBeLessThanOrEqual(strategy.maxConcurrency!);
      expect(strategy.startedAfterStop, strategy.name).toBe(0);
      expect(strategy.inFlightAfterStop, strategy.name).toBe(0);
      expect(strategy.handlesAfterStop.Timeout, strategy.name).toBeUndefined();
      expect(strategy.engine?.stopClean, strategy.name).toBe(true);
      expect(strategy.violations, strategy.name).toEqual([]);
    }
    // Under 'skip' and 'buffer-one' a slow downstream must cost skipped ticks, not overlap.
    expect(tickguard.find((s) => s.name === 'tickguard-pool-skip')!.skippedTicks).toBeGreaterThan(0);
  });

  it('samples each strategy about every 100ms, before and after stop', () => {
    for (const strategy of report.strategies) {
      const { samples } = strategy;
      expect(samples.length, strategy.name).toBeGreaterThanOrEqual(10);
      expect(samples.some((s) => s.stopping) && samples.some((s) => !s.stopping), strategy.name).toBe(true);
      for (let i = 1; i < samples.length; i += 1) expect(samples[i]!.t).toBeGreaterThanOrEqual(samples[i - 1]!.t);
      const last = samples.at(-1)!;
      expect(last.heapBytes).toBeGreaterThan(0);
      expect(last.handles).toBe(Object.values(last.handlesByType).reduce((a, b) => a + b, 0));
      expect(Number.isFinite(last.eventLoopDelayP99Ms)).toBe(true);
    }
  });

  it.skipIf(!REDIS)('runs the replicas scene through Redis: every naive replica ran every tick, the coordinated ones each tick once, then cleaned up', async () => {
    const scene = report.replicas;
    expect(scene.status, scene.note).toBe('ok');
    expect(scene.violations).toEqual([]);
    expect(scene.store).toMatchObject({ kind: 'redis', url: REDIS_URL });
    expect(scene).toMatchObject({ replicasPerGroup: 3, intervalMs: 50, runMs: 15, durationMs: 2_000, killedReplica: 3, cleanedUp: true });
    const [naive, coordinated] = scene.groups;
    expect(naive!.group).toBe('naive');
    expect(naive!.ticks).toBe(40);
    // Under a loaded machine a replica can miss a tick; the shape must hold all the same.
    expect(naive!.duplicateTicks).toBeGreaterThan(naive!.ticks / 2);
    expect(naive!.beforeKill.max).toBe(3);
    expect(naive!.afterKill.max).toBeLessThanOrEqual(2);
    expect(naive!.afterKill.mean).toBeGreaterThan(1);
    expect(coordinated!.group).toBe('coordinated');
    expect(coordinated!.duplicateTicks).toBe(0);
    expect(coordinated!.beforeKill.max).toBe(1);
    expect(coordinated!.afterKill.max).toBe(1);
    expect(coordinated!.runs).toBeGreaterThan(coordinated!.ticks / 2);
    expect(coordinated!.tokens).toMatchObject({ increasing: true, missing: 0, count: coordinated!.runs });
    expect(coordinated!.runsByReplica[2]).toBeLessThanOrEqual(coordinated!.perTick.filter((tick) => tick.t < scene.killAtMs!).length);
    expect(scene.replicaEnds.map((end) => [end.group, end.replica, end.killed, end.error])).toEqual([
      ['naive', 1, false, null], ['naive', 2, false, null], ['naive', 3, true, null],
      ['coordinated', 1, false, null], ['coordinated', 2, false, null], ['coordinated', 3, true, null],
    ]);
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const [, left] = await redis.scan('0', 'MATCH', `${scene.store!.namespace}*`, 'COUNT', 1_000);
      expect(left).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it.skipIf(CHROMIUM === undefined)('renders the HTML report in Chromium: charts drawn, no console or page error, no request leaves the file', async () => {
    expect(report.report).toBe(reportPath);
    expect(existsSync(reportPath)).toBe(true);
    const browser = await chromium.launch({
      executablePath: CHROMIUM!,
      args: CHROMIUM_ARGS,
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 1250 } });
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:')) return route.continue();
        problems.push(`request: ${url}`);
        return route.abort();
      });
      await page.goto(pathToFileURL(reportPath).href, { waitUntil: 'load' });

      const charts = await page.$$eval('#over-time svg', (svgs) =>
        svgs.map((svg) => ({
          width: svg.getBoundingClientRect().width,
          lines: [...svg.querySelectorAll('polyline')].map((line) => ({
            points: line.points.numberOfItems,
            drawnWidth: line.getBBox().width,
          })),
        })),
      );
      expect(charts).toHaveLength(3);
      for (const chart of charts) {
        expect(chart.width).toBeGreaterThan(500);
        expect(chart.lines).toHaveLength(STRATEGY_NAMES.length);
        for (const line of chart.lines) {
          expect(line.points).toBeGreaterThanOrEqual(10);
          expect(line.drawnWidth).toBeGreaterThan(300);
        }
      }
      expect(await page.locator('#comparison table tbody tr').count()).toBe(STRATEGY_NAMES.length);
      expect(await page.locator('.verdict.ok').first().textContent()).toContain('Self-check passed');

      // The replicas scene: its table, and its three charts drawn across the plot.
      if (REDIS) {
        const scene = await page.$$eval('#replicas svg', (svgs) =>
          svgs.map((svg) => ({
            width: svg.getBoundingClientRect().width,
            lines: [...svg.querySelectorAll('polyline')].map((line) => line.getBBox().width),
            dots: svg.querySelectorAll('circle').length,
          })),
        );
        expect(scene).toHaveLength(3);
        const [perTick, lanes, tokens] = scene;
        expect(perTick!.lines).toHaveLength(2);
        for (const width of [...perTick!.lines, ...tokens!.lines]) expect(width).toBeGreaterThan(300);
        expect(lanes!.dots).toBe(report.replicas.groups.reduce((sum, group) => sum + group.runs, 0));
        expect(tokens!.dots).toBe(report.replicas.groups[1]!.runs);
        expect(await page.locator('#replicas table tbody tr').count()).toBe(2);
        expect(await page.locator('#replicas .verdict.ok').textContent()).toContain('no tick ran twice');
      } else {
        expect(await page.locator('#replicas').textContent()).toContain('Replicas scene not run');
      }

      // TICKGUARD_SCREENSHOT=1 refreshes the README's picture; otherwise it goes to test-output/.
      const folder = process.env.TICKGUARD_SCREENSHOT === '1' ? join(REPO, 'docs') : join(REPO, 'test-output');
      const screenshot = join(folder, 'lab-report.png');
      mkdirSync(folder, { recursive: true });
      await page.screenshot({ path: screenshot });
      expect(statSync(screenshot).size).toBeLessThan(250_000);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 30_000);
});

describe('tickguard lab (human output)', () => {
  it('prints progress lines, the comparison table and the verdict when stdout is not a terminal, and one line on the scene when no store answers', async () => {
    const out = join(work, 'human.html');
    const run = await runCli(['lab', '--strategies', 'tickguard-fixed-delay,naive-setInterval', '--duration', '600ms', '--interval', '50ms', '--out', out, '--redis', 'redis://127.0.0.1:1']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('[lab] naive-setInterval: started');
    expect(run.stdout).toMatch(/\[lab\] tickguard-fixed-delay: done, peak in-flight 1\n/);
    expect(run.stdout).toMatch(/^strategy\s+limit\s+peak in-flight\s+runs done/m);
    expect(run.stdout).toMatch(/^naive-setInterval\s+-\s+\d+/m);
    expect(run.stdout).toMatch(/^tickguard-fixed-delay\s+1\s+1\s/m);
    expect(run.stdout).toContain('Self-check passed');
    expect(run.stdout).toContain(`HTML report: ${out}`);
    expect(run.stdout).not.toContain('\u001b[');
    expect(existsSync(out)).toBe(true);
    // Everything else ran; the scene is one line that says how to enable it.
    const lines = run.stdout.split('\n').filter((line) => /replicas/i.test(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Replicas scene skipped: no store answered \(redis:\/\/127\.0\.0\.1:1: .+\)\. To see 3 replicas run each tick once, start Redis there, or give --redis <url> or --postgres <url>\.$/);
    expect(readFileSync(out, 'utf8')).toContain('Replicas scene skipped: no store answered');
  }, 60_000);
});

describe('tickguard lab replicas scene: required, or through PostgreSQL', () => {
  it('exits 1 at once when --replicas requires a store and none answers', async () => {
    const run = await runCli(['lab', '--replicas', '--redis', 'redis://127.0.0.1:1', '--postgres', 'postgres://postgres@127.0.0.1:1/test']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('tickguard lab: --replicas needs Redis or PostgreSQL, and none answered (redis://127.0.0.1:1: ');
  });

  it.skipIf(!POSTGRES)('runs the scene through PostgreSQL in a schema of its own, prints its table and findings, and drops the schema', async () => {
    const run = await runCli(['lab', '--strategies', 'tickguard-serial', '--duration', '600ms', '--interval', '50ms', '--no-report', '--replicas', '--postgres', POSTGRES_URL]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('[lab] replicas: replica 3 of each group killed (SIGKILL)');
    expect(run.stdout).toMatch(/^Replicas scene: 3 replicas without a coordinator next to 3 through PostgreSQL/m);
    expect(run.stdout).toMatch(/^replicas\s+coordinator\s+ticks\s+runs\s+runs\/tick before kill\s+after kill\s+duplicate ticks\s+missed ticks\s+fencing tokens\s+self-check$/m);
    // Runs per tick may read "2–3 (avg 2.9)" on a loaded machine; duplicates, tokens and the check may not vary.
    expect(run.stdout).toMatch(/^naive\s+none\s+12\s+\d+\s+.+\s+[1-9]\d*\s+\d+\s+-\s+n\/a$/m);
    expect(run.stdout).toMatch(/^coordinated\s+postgres\s+12\s+\d+\s+.+\s+0\s+\d+\s+\d+, strictly increasing\s+ok$/m);
    expect(run.stdout).toMatch(/^Through PostgreSQL: each tick ran once across the replicas/m);
    expect(run.stdout).toContain('and no coordinated replica ran a tick twice.');
    const schema = /This run's schema (tickguard_lab_\d+_[0-9a-f]{8}) was removed afterwards\./.exec(run.stdout)?.[1];
    expect(schema).toBeDefined();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      const left = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      expect(left.rowCount).toBe(0);
    } finally {
      await client.end();
    }
  }, 60_000);
});

describe('tickguard command line', () => {
  it.each([
    [['lab', '--duration', 'soon'], 'tickguard lab: Expected `--duration` to be a positive duration'],
    [['lab', '--frobnicate'], 'tickguard lab: Unknown option --frobnicate'],
    [['lab', '--capacity', '-1'], 'tickguard lab: Expected --capacity to be an integer from 1 to 1000, got "-1"'],
  ])('exits 2 with the message and the usage on stderr for %j', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Usage: tickguard lab [options]');
  });

  it('exits 2 with the usage for an unknown command or none', async () => {
    const unknown = await runCli(['labb']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('tickguard: unknown command "labb"; did you mean "lab"?');
    expect(unknown.stderr).toContain('Usage: tickguard <command> [options]');
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: tickguard <command> [options]');
  });

  it('prints help and the version, exit 0', async () => {
    const [help, helpCommand, h, labHelp, helpLab, version] = await Promise.all(
      [['--help'], ['help'], ['-h'], ['lab', '--help'], ['help', 'lab'], ['--version']].map((args) => runCli(args)),
    );
    for (const run of [help!, helpCommand!, h!]) {
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Usage: tickguard <command> [options]');
    }
    for (const run of [labHelp!, helpLab!]) {
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Usage: tickguard lab [options]');
    }
    expect(version!.code).toBe(0);
    expect(version!.stdout).toBe(`${VERSION}\n`);
  });

  it('refuses to run the internal worker command without a parent', async () => {
    const run = await runCli(['__lab-worker', '{}']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('internal to `tickguard lab`');
  });
});

describe('tickguard lab from the bundle', () => {
  it('runs from a tsup build of src/cli/main.ts, which starts with a shebang and is its own worker', async () => {
    // Built the way tsup.config.ts builds the bin, into a folder inside the repo so that
    // dependencies resolve from its node_modules, with package.json two levels up as in dist/.
    const root = join(REPO, 'test-output', `lab-bundle-${process.pid}`);
    try {
      await build({
        entry: { 'cli/main': 'src/cli/main.ts' },
        format: ['esm'],
        outDir: join(root, 'dist'),
        target: 'node20',
        splitting: false,
        sourcemap: false,
        dts: false,
        silent: true,
        config: false,
      });
      copyFileSync(join(REPO, 'package.json'), join(root, 'package.json'));
      const entry = join(root, 'dist', 'cli', 'main.js');
      expect(readFileSync(entry, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
      expect(execFileSync(process.execPath, [entry, '--version'], { encoding: 'utf8' })).toBe(`${VERSION}\n`);
      const run = await runCli(
        ['lab', '--strategies', 'naive-setInterval,tickguard-serial', '--duration', '800ms', '--interval', '50ms', '--json', '--no-report', ...REDIS_SCENE],
        { entry },
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as LabReport;
      expect(report.report).toBeNull();
      expect(report.strategies.map((s) => [s.name, s.status])).toEqual([['naive-setInterval', 'ok'], ['tickguard-serial', 'ok']]);
      expect(report.strategies[1]!.peakInFlight).toBe(1);
      // The bundle is its own replica too, and loads ioredis from the application's dependencies.
      expect(report.replicas.status, report.replicas.note).toBe(REDIS ? 'ok' : 'off');
      expect(report.ok).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
