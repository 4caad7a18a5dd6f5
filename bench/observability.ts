/**
 * What observing a big scheduler costs the event loop: with N jobs (1 Hz, no-op task) that have
 * run a few ticks, the time one call blocks the loop for — `scheduler.stats()`, the Prometheus
 * scrape (`registry.metrics()` of `registerMetrics()`), the dashboard's refresh (its two requests
 * as `createAdminHandler` serves them: `GET /jobs`, `scheduler.inspect()` serialized, and
 * `GET /history`, which reads `stats().at`), and `job.inspect()` of one job. Each figure is the median of a few calls.
 * Also the CPU per run with the metrics registered (their `run:*` listeners are on every run's
 * path), against the same scheduler before it.
 *
 * `node --expose-gc --import tsx bench/observability.ts [--jobs 1000,10000,100000] [--out file.json]`
 * Each size runs in its own child process, like the main suite.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { buildBundles } from './lib/build.js';
import { loadTickguard } from './systems/tickguard.js';

const SELF = fileURLToPath(import.meta.url);

/** One size's figures, ms unless named otherwise. */
interface ObservabilityRow {
  readonly jobs: number;
  readonly statsMs: number;
  readonly scrapeMs: number;
  readonly scrapeBytes: number;
  readonly dashboardMs: number;
  readonly dashboardBytes: number;
  readonly inspectOneMs: number;
  readonly cpuPerRunUs: number;
  readonly cpuPerRunWithMetricsUs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/** Median wall time of `calls` calls of `work` (sync or async: the loop is blocked for the sync part only, which is all of it here). */
async function timed(calls: number, work: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let call = 0; call < calls; call++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
    await sleepFor(5);
  }
  return median(times);
}

async function cpuPerRun(windowMs: number, runs: () => number): Promise<number> {
  const before = runs();
  const start = process.cpuUsage();
  await sleepFor(windowMs);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / Math.max(1, runs() - before);
}

async function measure(entry: string, jobs: number): Promise<ObservabilityRow> {
  const { createScheduler } = await loadTickguard({ tickguardEntry: entry });
  const { registerMetrics } = (await import(entry.replace(/tickguard\.js$/, 'prometheus.js'))) as typeof import('../src/integrations/prometheus.js');
  const { Registry } = await import('prom-client');
  const scheduler = createScheduler();
  let runs = 0;
  for (let index = 0; index < jobs; index++) scheduler.add({ name: `job-${index}`, fixedRate: 1_000, run: () => void (runs += 1) });
  await sleepFor(2_200);
  const cpuPerRunUs = await cpuPerRun(3_000, () => runs);

  const registry = new Registry();
  registerMetrics(scheduler, { registry });
  await sleepFor(1_100);
  const cpuPerRunWithMetricsUs = await cpuPerRun(3_000, () => runs);

  const calls = jobs >= 100_000 ? 3 : 7;
  let scrapeBytes = 0;
  let dashboardBytes = 0;
  const statsMs = await timed(calls, () => scheduler.stats());
  const scrapeMs = await timed(calls, async () => {
    scrapeBytes = (await registry.metrics()).length;
  });
  const dashboardMs = await timed(calls, () => {
    // GET /jobs and GET /history: the admin handler serializes inspect() for the first and reads stats().at for the second.
    const body = JSON.stringify(scheduler.inspect());
    dashboardBytes = body.length;
    scheduler.stats();
  });
  const one = scheduler.get(`job-${jobs >> 1}`)!;
  const inspectOneMs = await timed(calls, () => {
    for (let call = 0; call < 1_000; call++) one.inspect();
  }) / 1_000;
  await scheduler.stop();
  return { jobs, statsMs, scrapeMs, scrapeBytes, dashboardMs, dashboardBytes, inspectOneMs, cpuPerRunUs, cpuPerRunWithMetricsUs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { jobs: { type: 'string' }, out: { type: 'string' }, child: { type: 'string' }, entry: { type: 'string' } } });
  if (values.child !== undefined && values.entry !== undefined) {
    process.stdout.write(`${JSON.stringify(await measure(values.entry, Number(values.child)))}\n`);
    process.exit(0);
  }
  const sizes = (values.jobs ?? '1000,10000,100000').split(',').map(Number);
  const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
  const bundles = await buildBundles(srcDir, undefined, { prometheus: `${srcDir}integrations/prometheus.ts` });
  const rows: ObservabilityRow[] = [];
  for (const jobs of sizes) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', SELF, '--child', String(jobs), '--entry', bundles.tickguard], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const row = JSON.parse(out.trim().split('\n').pop()!) as ObservabilityRow;
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KB`;
  const lines = [
    '| jobs | stats() | Prometheus scrape | scrape size | dashboard refresh | refresh size | job.inspect() | CPU/run | CPU/run with metrics |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.jobs.toLocaleString('en-US')} | ${r.statsMs.toFixed(1)} ms | ${r.scrapeMs.toFixed(1)} ms | ${kb(r.scrapeBytes)} | ${r.dashboardMs.toFixed(1)} ms | ${kb(r.dashboardBytes)} | ${(r.inspectOneMs * 1000).toFixed(1)} µs | ${r.cpuPerRunUs.toFixed(2)} µs | ${r.cpuPerRunWithMetricsUs.toFixed(2)} µs |`),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
  if (values.out !== undefined) writeFileSync(values.out, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`);
}

await main();
