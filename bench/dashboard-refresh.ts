/**
 * What the admin endpoint costs the event loop with N jobs (1 Hz, no-op task) that have run a
 * few ticks: the time the handler holds the loop for one dashboard refresh
 * (`bench/lib/dashboard-refresh.ts`: the page's requests), for `GET /healthz`, for pages a user
 * asks for (a name search; the attention filter and `/healthz` once every job has paused itself
 * after a failure, their worst case), and once for `GET /jobs?limit=all`; creating the handler;
 * and the CPU per run with the handler mounted (its `run:end` listener records every run)
 * against the same scheduler before it, and with an empty `run:end` listener: the engine builds
 * each run's event once anyone listens, so that column is the floor of any listener.
 *
 * `node --expose-gc --import tsx bench/dashboard-refresh.ts [--jobs 1000,10000,100000]`
 * Each size runs in its own child process; figures are medians of a few calls.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { buildBundles } from './lib/build.js';
import { cpuPerRun, median, rowsBySize, runAsChild } from './lib/per-size.js';
import { loadTickguard } from './systems/tickguard.js';
import { dashboardRefresh } from './lib/dashboard-refresh.js';

const SELF = fileURLToPath(import.meta.url);

interface Row {
  readonly jobs: number;
  readonly createMs: number;
  readonly refreshMs: number;
  readonly refreshBytes: number;
  readonly healthzMs: number;
  readonly searchMs: number;
  readonly failingPageMs: number;
  readonly failingHealthzMs: number;
  readonly allMs: number;
  readonly allBytes: number;
  readonly cpuPerRunUs: number;
  readonly cpuPerRunWithEmptyListenerUs: number;
  readonly cpuPerRunWithHandlerUs: number;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Median time inside the handler for GET `path`, and the last body's size. */
async function timedGet(handler: Listener, path: string, calls: number): Promise<{ ms: number; bytes: number }> {
  let spent = 0;
  const server = createServer((req, res) => {
    const start = performance.now();
    handler(req, res);
    spent += performance.now() - start;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  const times: number[] = [];
  let bytes = 0;
  for (let call = 0; call < calls; call++) {
    spent = 0;
    bytes = (await (await fetch(url)).arrayBuffer()).byteLength;
    times.push(spent);
    await sleepFor(5);
  }
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { ms: median(times), bytes };
}

async function measure(entry: string, jobs: number): Promise<Row> {
  const { createScheduler } = await loadTickguard({ tickguardEntry: entry });
  const { createAdminHandler } = (await import(entry.replace(/tickguard\.js$/, 'http.js'))) as typeof import('../src/integrations/http.js');
  const scheduler = createScheduler();
  let runs = 0;
  let failing = false;
  for (let index = 0; index < jobs; index++) {
    scheduler.add({ name: `job-${index}`, fixedRate: 1_000, maxConsecutiveFailures: 1, run: () => {
      runs += 1;
      if (failing) throw new Error('down');
    } });
  }
  await sleepFor(2_200);
  const cpuPerRunUs = await cpuPerRun(3_000, () => runs);
  const off = scheduler.on('run:end', () => {});
  await sleepFor(1_100);
  const cpuPerRunWithEmptyListenerUs = await cpuPerRun(3_000, () => runs);
  off();

  const created = performance.now();
  const handler = createAdminHandler(scheduler);
  const createMs = performance.now() - created;
  await sleepFor(1_100);
  const cpuPerRunWithHandlerUs = await cpuPerRun(3_000, () => runs);

  const calls = jobs >= 100_000 ? 9 : 25;
  const refreshes: number[] = [];
  let refreshBytes = 0;
  for (let call = 0; call < calls; call++) {
    const refresh = await dashboardRefresh(handler);
    refreshes.push(refresh.handlerMs);
    refreshBytes = refresh.bytes;
    await sleepFor(5);
  }
  const healthz = await timedGet(handler, '/healthz', calls);
  const search = await timedGet(handler, `/jobs?name=${encodeURIComponent(`job-${jobs >> 1}`)}`, calls);
  // Every job fails once and pauses itself: the attention filter and the health report at their worst.
  failing = true;
  for (let waited = 0; waited < 20 && scheduler.summary().jobs.paused < jobs; waited++) await sleepFor(500);
  if (scheduler.summary().jobs.paused !== jobs) throw new Error(`expected every job paused by failures, got ${scheduler.summary().jobs.paused}`);
  const failingPage = await timedGet(handler, '/jobs?attention=failing', calls);
  const failingHealthz = await timedGet(handler, '/healthz', calls);
  failing = false;
  const all = await timedGet(handler, '/jobs?limit=all', 1);
  handler.dispose();
  await scheduler.stop();
  return {
    jobs, createMs, refreshMs: median(refreshes), refreshBytes, healthzMs: healthz.ms, searchMs: search.ms,
    failingPageMs: failingPage.ms, failingHealthzMs: failingHealthz.ms, allMs: all.ms, allBytes: all.bytes, cpuPerRunUs, cpuPerRunWithEmptyListenerUs, cpuPerRunWithHandlerUs,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { jobs: { type: 'string' }, child: { type: 'string' }, entry: { type: 'string' } } });
  if (await runAsChild(values, measure)) return;
  const sizes = (values.jobs ?? '1000,10000,100000').split(',').map(Number);
  const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
  const bundles = await buildBundles(srcDir, undefined, { http: `${srcDir}integrations/http.ts` });
  const rows = rowsBySize<Row>(SELF, sizes, bundles.tickguard);
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KB`;
  const ms = (value: number): string => `${value.toFixed(2)} ms`;
  const lines = [
    '| jobs | create handler | dashboard refresh | refresh size | /healthz | name search | ?attention=failing (all paused by failures) | /healthz (all paused by failures) | ?limit=all | its size | CPU/run | with an empty run:end listener | with the handler |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.jobs.toLocaleString('en-US')} | ${ms(r.createMs)} | ${ms(r.refreshMs)} | ${kb(r.refreshBytes)} | ${ms(r.healthzMs)} | ${ms(r.searchMs)} | ${ms(r.failingPageMs)} | ${ms(r.failingHealthzMs)} | ${ms(r.allMs)} | ${kb(r.allBytes)} | ${r.cpuPerRunUs.toFixed(2)} µs | ${r.cpuPerRunWithEmptyListenerUs.toFixed(2)} µs | ${r.cpuPerRunWithHandlerUs.toFixed(2)} µs |`),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

await main();
