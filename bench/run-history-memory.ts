/**
 * What the admin endpoint's run history holds per job: `--jobs` jobs (10k by default, enough to
 * extrapolate) each end `--runs` runs into a history of that size, and the heap plus array
 * buffers grown, after collecting, is divided by the jobs. The history is fed directly, not
 * through a scheduler, so that the figure is the history's own.
 *
 * `node --expose-gc --import tsx bench/run-history-memory.ts [--jobs 10000] [--runs 60]`
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { RunEndEvent } from '../src/events.js';
import { RunHistory } from '../src/integrations/run-history.js';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '10000' }, runs: { type: 'string', default: '60' } } });
const jobs = Number(values.jobs);
const runs = Number(values.runs);
const gc = globalThis.gc;
if (gc === undefined) throw new Error('Run with node --expose-gc');

/** Collects until the array buffers freed by growing rings are released as well. */
async function settle(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 5; i++) {
    gc!();
    await sleepFor(50);
  }
  return process.memoryUsage();
}

const names = Array.from({ length: jobs }, (_, index) => `job-${index}`);
const before = await settle();
const history = new RunHistory(runs);
const endedAt = new Date(0);
for (let run = 0; run < runs; run++) {
  for (const job of names) history.record({ job, tick: run, endedAt, durationMs: 1.5, outcome: 'success' } as RunEndEvent);
}
const after = await settle();
const bytes = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
// Read after measuring, so that the history is alive when it is measured.
const kept = history.of([names[0]!])[0]!.runs.length;
console.log(`${jobs} jobs × ${kept} runs: ${Math.round(bytes / jobs)} B a job, ${((bytes / jobs) * 100_000 / 1e6).toFixed(0)} MB at 100k jobs`);
