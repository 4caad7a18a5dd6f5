/**
 * Soak check of contract item 6: a million runs whose tasks each add an `abort` listener to
 * `ctx.signal` (and never remove it) give no MaxListenersExceededWarning and no heap growth,
 * because every attempt gets its own signal and the scheduler keeps none after the run.
 *
 *   node --expose-gc --import tsx bench/soak-million-runs.ts [runs=1000000]
 *
 * Prints heap after GC at 10% of the runs and at the last run (jobs still registered); the
 * two should be within noise.
 */
import { createScheduler } from '../src/index.js';

const target = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

let warnings = 0;
process.on('warning', (w) => {
  if (w.name === 'MaxListenersExceededWarning') warnings += 1;
});

const scheduler = createScheduler();
let runs = 0;
let heapAt10 = 0;
let heapEnd = 0;
const started = performance.now();
const done = new Promise<void>((resolve) => {
  for (let j = 0; j < 1_000; j += 1) {
    scheduler.add({
      name: `job-${j}`,
      fixedRate: 1,
      timeout: '1s',
      run: (ctx) => {
        ctx.signal.addEventListener('abort', () => {});
        runs += 1;
        if (runs === target / 10) {
          gc();
          heapAt10 = process.memoryUsage().heapUsed;
        }
        if (runs === target) {
          gc();
          heapEnd = process.memoryUsage().heapUsed;
          resolve();
        }
      },
    });
  }
});
await done;
const elapsed = performance.now() - started;
await scheduler.stop();
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
console.log(JSON.stringify({ runs, seconds: +(elapsed / 1000).toFixed(2), heapAt10Percent: mb(heapAt10), heapAtEnd: mb(heapEnd), maxListenersWarnings: warnings }));
