/**
 * What observing a big scheduler costs the event loop: with N jobs (1 Hz, no-op task) that have
 * run a few ticks, the time one call blocks the loop for — `scheduler.stats()`, the Prometheus
 * scrape (`registry.metrics()` of `registerMetrics()`), the dashboard's refresh (the page's own
 * requests against `createAdminHandler`, through bench/lib/dashboard-refresh.ts: the time the
 * handler holds the loop), and `job.inspect()` of one job. Each figure is the median of a few calls.
 * Also the CPU per run with the metrics registered (their `run:*` listeners are on every run's
 * path), against the same scheduler without them and with no-op listeners on the same events,
 * measured in turns.
 *
 * The metrics are measured twice: with the default cap on series by job (`maxJobSeries`), and
 * with no cap (`maxJobSeries: Infinity`, every job its own series, as before the cap). The capped
 * scrape is also timed with a run in flight, when the gauges ask each listed job for its runs.
 *
 * `node --expose-gc --import tsx bench/observability.ts [--jobs 1000,10000,100000] [--out file.json]`
 * Each size runs in its own child process, like the main suite.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { buildBundles } from './lib/build.js';
import { cpuPerRun, median, rowsBySize, runAsChild } from './lib/per-size.js';
import { loadTickguard } from './systems/tickguard.js';
import { dashboardRefresh } from './lib/dashboard-refresh.js';

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
  /**
   * With a listener that does nothing on each event `registerMetrics()` listens to: what the
   * engine spends building the events, whatever the listeners then do.
   */
  readonly cpuPerRunWithNoopListenersUs: number;
  /** With `registerMetrics()` at its default cap. */
  readonly cpuPerRunWithMetricsUs: number;
  readonly maxJobSeries: number;
  /** The capped scrape while one run is in flight. */
  readonly scrapeInFlightMs: number;
  /** With `maxJobSeries: Infinity`. */
  readonly scrapeUncappedMs: number;
  readonly scrapeUncappedBytes: number;
  readonly cpuPerRunWithMetricsUncappedUs: number;
}

type CpuCondition = 'bare' | 'noop' | 'metrics' | 'uncapped';

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

async function measure(entry: string, jobs: number): Promise<ObservabilityRow> {
  const { createScheduler } = await loadTickguard({ tickguardEntry: entry });
  const { registerMetrics, DEFAULT_MAX_JOB_SERIES } = (await import(entry.replace(/tickguard\.js$/, 'prometheus.js'))) as typeof import('../src/integrations/prometheus.js');
  const { createAdminHandler } = (await import(entry.replace(/tickguard\.js$/, 'http.js'))) as typeof import('../src/integrations/http.js');
  const { Registry } = await import('prom-client');
  const scheduler = createScheduler();
  let runs = 0;
  for (let index = 0; index < jobs; index++) scheduler.add({ name: `job-${index}`, fixedRate: 1_000, run: () => void (runs += 1) });
  await sleepFor(2_200);

  // The cap's warning is expected here: not news in the bench's output.
  process.removeAllListeners('warning');
  // CPU per run under each condition, in turns (three rounds, the median of each): on a shared
  // machine the load moves in minutes, and one window per condition would measure the load.
  const conditions: Record<CpuCondition, () => () => void> = {
    bare: () => () => {},
    noop: () => {
      const offs = (['job:state', 'tick', 'run:start', 'run:end', 'claim', 'lease'] as const).map((event) => scheduler.on(event, () => {}));
      return () => offs.forEach((off) => off());
    },
    metrics: () => {
      const registered = registerMetrics(scheduler, { registry: new Registry() });
      return () => registered.unregister();
    },
    uncapped: () => {
      const registered = registerMetrics(scheduler, { registry: new Registry(), maxJobSeries: Number.POSITIVE_INFINITY });
      return () => registered.unregister();
    },
  };
  const cpu: Record<CpuCondition, number[]> = { bare: [], noop: [], metrics: [], uncapped: [] };
  for (let round = 0; round < 3; round++) {
    for (const condition of Object.keys(conditions) as CpuCondition[]) {
      const detach = conditions[condition]();
      await sleepFor(1_100);
      cpu[condition].push(await cpuPerRun(2_000, () => runs));
      detach();
    }
  }
  const cpuPerRunUs = median(cpu.bare);
  const cpuPerRunWithNoopListenersUs = median(cpu.noop);
  const cpuPerRunWithMetricsUs = median(cpu.metrics);
  const cpuPerRunWithMetricsUncappedUs = median(cpu.uncapped);

  const registry = new Registry();
  const metrics = registerMetrics(scheduler, { registry });
  await sleepFor(1_100);

  const calls = jobs >= 100_000 ? 3 : 7;
  let scrapeBytes = 0;
  let dashboardBytes = 0;
  const statsMs = await timed(calls, () => scheduler.stats());
  // The capped scrape is cheap at any job count: more calls, for a steadier median.
  const scrapeCalls = 15;
  const scrapeMs = await timed(scrapeCalls, async () => {
    scrapeBytes = (await registry.metrics()).length;
  });
  const busy = scheduler.add({ name: 'busy', fixedRate: 60_000, runOnStart: true, run: ({ signal }) => sleepFor(60_000, undefined, { signal }).catch(() => {}) });
  await sleepFor(50);
  const scrapeInFlightMs = await timed(scrapeCalls, () => registry.metrics());
  await busy.remove();
  // The page's own requests against the admin handler (bench/lib/dashboard-refresh.ts): the time
  // the handler held the loop. bench/dashboard-refresh.ts measures the admin endpoint's other reads.
  const admin = createAdminHandler(scheduler);
  const refreshes: number[] = [];
  for (let call = 0; call < calls; call++) {
    const refresh = await dashboardRefresh(admin);
    refreshes.push(refresh.handlerMs);
    dashboardBytes = refresh.bytes;
    await sleepFor(5);
  }
  admin.dispose();
  const dashboardMs = median(refreshes);
  const one = scheduler.get(`job-${jobs >> 1}`)!;
  const inspectOneMs = await timed(calls, () => {
    for (let call = 0; call < 1_000; call++) one.inspect();
  }) / 1_000;

  metrics.unregister();
  const uncapped = new Registry();
  registerMetrics(scheduler, { registry: uncapped, maxJobSeries: Number.POSITIVE_INFINITY });
  await sleepFor(1_100);
  let scrapeUncappedBytes = 0;
  const scrapeUncappedMs = await timed(jobs >= 100_000 ? 1 : calls, async () => {
    scrapeUncappedBytes = (await uncapped.metrics()).length;
  });
  await scheduler.stop();
  return {
    jobs, statsMs, scrapeMs, scrapeBytes, dashboardMs, dashboardBytes, inspectOneMs, cpuPerRunUs, cpuPerRunWithNoopListenersUs, cpuPerRunWithMetricsUs,
    maxJobSeries: DEFAULT_MAX_JOB_SERIES, scrapeInFlightMs, scrapeUncappedMs, scrapeUncappedBytes, cpuPerRunWithMetricsUncappedUs,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { jobs: { type: 'string' }, out: { type: 'string' }, child: { type: 'string' }, entry: { type: 'string' } } });
  if (await runAsChild(values, measure)) return;
  const sizes = (values.jobs ?? '1000,10000,100000').split(',').map(Number);
  const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
  const bundles = await buildBundles(srcDir, undefined, { prometheus: `${srcDir}integrations/prometheus.ts`, http: `${srcDir}integrations/http.ts` });
  const rows = rowsBySize<ObservabilityRow>(SELF, sizes, bundles.tickguard);
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KB`;
  const lines = [
    '| jobs | stats() | Prometheus scrape | scrape size | dashboard refresh | refresh size | job.inspect() | CPU/run | CPU/run with metrics |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.jobs.toLocaleString('en-US')} | ${r.statsMs.toFixed(1)} ms | ${r.scrapeMs.toFixed(1)} ms | ${kb(r.scrapeBytes)} | ${r.dashboardMs.toFixed(1)} ms | ${kb(r.dashboardBytes)} | ${(r.inspectOneMs * 1000).toFixed(1)} µs | ${r.cpuPerRunUs.toFixed(2)} µs | ${r.cpuPerRunWithMetricsUs.toFixed(2)} µs |`),
    '',
    '| jobs | scrape, cap | with a run in flight | size | CPU/run over bare: no-op listeners | metrics | scrape, no cap | size | CPU/run over bare, no cap |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.jobs.toLocaleString('en-US')} | ${r.scrapeMs.toFixed(1)} ms (${r.maxJobSeries.toLocaleString('en-US')} jobs) | ${r.scrapeInFlightMs.toFixed(1)} ms | ${kb(r.scrapeBytes)} | ${(r.cpuPerRunWithNoopListenersUs - r.cpuPerRunUs).toFixed(2)} µs | ${(r.cpuPerRunWithMetricsUs - r.cpuPerRunUs).toFixed(2)} µs | ${r.scrapeUncappedMs.toFixed(1)} ms | ${kb(r.scrapeUncappedBytes)} | ${(r.cpuPerRunWithMetricsUncappedUs - r.cpuPerRunUs).toFixed(2)} µs |`),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
  if (values.out !== undefined) writeFileSync(values.out, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`);
}

await main();
