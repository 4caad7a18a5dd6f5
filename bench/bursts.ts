/**
 * Jobs that run in bursts separated by idle time, in a process that does nothing else: N jobs
 * due once a second (one batch of N runs per second, the event loop idle in between), the
 * whole process's CPU over a window, and (with `--deopts`, in separate runs: printing the trace
 * costs CPU) how many optimized functions V8 threw away in it because objects their code
 * depended on were collected (`--trace-deopt`'s "weak objects").
 *
 * Why a bench of its own: with no run alive between bursts, V8's idle-time full collections (the
 * memory reducer) used to free the hidden classes of runs and attempt contexts, and with them the
 * optimized code of the run path, which was then compiled again over the next bursts. The main
 * suite's child does more per run (the lateness probe, an event-loop monitor), which hides it.
 *
 * `node --import tsx bench/bursts.ts [--jobs 1000] [--window-ms 10000] [--rounds 3] [--baseline <git ref>] [--deopts]`
 * Each system (and the baseline, when given) runs in its own process, in turns, `rounds` times;
 * the figures are medians.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildBundles } from './lib/build.js';
import { median } from './lib/per-size.js';
import { resolveBaseline, withBaselineSrc } from './lib/baseline.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const WARM_UP_MS = 2_000;

interface Burst {
  readonly system: string;
  readonly runs: number;
  readonly cpuMs: number;
  readonly weakObjectDeopts: number;
}

/**
 * The child, as plain JavaScript run by plain `node`: a loader (tsx) in the child costs more CPU
 * per idle second than the 1k runs measured do.
 */
const CHILD_JS = `
const [system, entry, jobs, windowMs, warmUpMs] = process.argv.slice(2);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let runs = 0;
let stop;
if (system === 'toad-scheduler') {
  const { ToadScheduler, SimpleIntervalJob, Task } = await import(entry);
  const scheduler = new ToadScheduler();
  for (let index = 0; index < +jobs; index++) {
    scheduler.addSimpleIntervalJob(new SimpleIntervalJob({ milliseconds: 1000 }, new Task('t' + index, () => { runs += 1; }), { id: 'j' + index, preventOverrun: true }));
  }
  stop = async () => scheduler.stop();
} else {
  const { createScheduler } = await import(entry);
  const scheduler = createScheduler();
  for (let index = 0; index < +jobs; index++) scheduler.add({ name: 'job-' + index, fixedRate: 1000, run: () => { runs += 1; } });
  stop = async () => { await scheduler.stop(); };
}
await sleep(+warmUpMs);
process.stdout.write('@@window\\n');
const before = runs;
const start = process.cpuUsage();
await sleep(+windowMs);
const used = process.cpuUsage(start);
process.stdout.write('@@result ' + JSON.stringify({ runs: runs - before, cpuMs: (used.user + used.system) / 1000 }) + '\\n');
await stop();
process.exit(0);
`;

function runChild(childFile: string, system: string, entry: string, jobs: number, windowMs: number, traceDeopts: boolean): Burst {
  const args = [...(traceDeopts ? ['--trace-deopt'] : []), childFile, system, pathToFileURL(entry).href, String(jobs), String(windowMs), String(WARM_UP_MS)];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const window = out.slice(out.indexOf('@@window'));
  const result = /@@result (.*)/.exec(window);
  if (result === null) throw new Error(`no result from the ${system} child`);
  const { runs, cpuMs } = JSON.parse(result[1]!) as { runs: number; cpuMs: number };
  const weakObjectDeopts = traceDeopts ? window.split('\n').filter((line) => line.includes('for deoptimization, reason: weak objects')).length : Number.NaN;
  return { system, runs, cpuMs, weakObjectDeopts };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      jobs: { type: 'string' }, 'window-ms': { type: 'string' }, rounds: { type: 'string' }, baseline: { type: 'string' }, deopts: { type: 'boolean' },
    },
  });
  const jobs = Number(values.jobs ?? 1_000);
  const windowMs = Number(values['window-ms'] ?? 10_000);
  const rounds = Number(values.rounds ?? 3);
  const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
  const baseline = values.baseline === undefined ? undefined : resolveBaseline(REPO, values.baseline);
  const bundles = baseline === undefined
    ? await buildBundles(srcDir)
    : await withBaselineSrc(REPO, baseline, (baselineSrc) => buildBundles(srcDir, baselineSrc));
  const systems: [string, string][] = [['tickguard', bundles.tickguard], ['toad-scheduler', createRequire(import.meta.url).resolve('toad-scheduler')]];
  const childFile = join(mkdtempSync(join(tmpdir(), 'tickguard-bursts-')), 'child.mjs');
  writeFileSync(childFile, CHILD_JS);
  if (bundles.baseline !== undefined && baseline !== undefined) systems.splice(1, 0, [`tickguard@${baseline.name}`, bundles.baseline]);
  const results = new Map<string, Burst[]>(systems.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, entry] of systems) {
      const burst = runChild(childFile, name === 'toad-scheduler' ? name : 'tickguard', entry, jobs, windowMs, values.deopts === true);
      results.get(name)!.push(burst);
      process.stdout.write(`round ${round + 1} ${name}: ${burst.cpuMs.toFixed(1)} ms CPU, ${burst.runs} runs, ${burst.weakObjectDeopts} weak-object deopts\n`);
    }
  }
  process.stdout.write(`\n${jobs.toLocaleString('en-US')} jobs × 1 Hz, ${windowMs / 1_000} s window after ${WARM_UP_MS / 1_000} s, medians of ${rounds}:\n\n`);
  process.stdout.write('| system | CPU in window | CPU/run | weak-object deopts in window |\n|---|---:|---:|---:|\n');
  for (const [name, bursts] of results) {
    const cpuMs = median(bursts.map((burst) => burst.cpuMs));
    const runs = median(bursts.map((burst) => burst.runs));
    const deopts = median(bursts.map((burst) => burst.weakObjectDeopts));
    process.stdout.write(`| ${name} | ${cpuMs.toFixed(1)} ms | ${((cpuMs * 1_000) / runs).toFixed(2)} µs | ${Number.isNaN(deopts) ? 'not traced' : deopts} |\n`);
  }
}

await main();
