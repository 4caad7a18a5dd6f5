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
import { CHROMIUM_ARGS, findChromium } from './support/chromium.js';

const CHROMIUM = findChromium('lab report browser test');
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
    run = await runCli(['lab', '--duration', '2s', '--interval', '50ms', '--json', '--out', reportPath]);
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

      const charts = await page.$$eval('svg', (svgs) =>
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
      expect(await page.locator('table tbody tr').count()).toBe(STRATEGY_NAMES.length);
      expect(await page.locator('.verdict.ok').textContent()).toContain('Self-check passed');

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
  it('prints progress lines, the comparison table and the verdict when stdout is not a terminal', async () => {
    const out = join(work, 'human.html');
    const run = await runCli(['lab', '--strategies', 'tickguard-fixed-delay,naive-setInterval', '--duration', '600ms', '--interval', '50ms', '--out', out]);
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
        ['lab', '--strategies', 'naive-setInterval,tickguard-serial', '--duration', '800ms', '--interval', '50ms', '--json', '--no-report'],
        { entry },
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as LabReport;
      expect(report.report).toBeNull();
      expect(report.strategies.map((s) => [s.name, s.status])).toEqual([['naive-setInterval', 'ok'], ['tickguard-serial', 'ok']]);
      expect(report.strategies[1]!.peakInFlight).toBe(1);
      expect(report.ok).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
