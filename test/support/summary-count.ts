/** What `scheduler.summary()` should give, counted the slow way from job figures. */
import type { JobState, Scheduler } from '../../src/index.js';

/** The figures of a job that the summary adds up. */
interface Counted {
  readonly state: JobState;
  readonly inFlight: number;
  readonly stuck: number;
}

/** Jobs by state, runs in flight and stuck, added up from `jobs` (from `stats()` or `inspect()`). */
export function countedFrom(jobs: readonly Counted[]) {
  const byState = { total: 0, active: 0, paused: 0, done: 0, removed: 0 };
  let inFlight = 0;
  let stuck = 0;
  for (const job of jobs) {
    byState.total += 1;
    byState[job.state] += 1;
    inFlight += job.inFlight;
    stuck += job.stuck;
  }
  return { jobs: byState, inFlight, stuck };
}

/** The same three figures from `summary()`. */
export function summaryTotals(scheduler: Scheduler) {
  const { jobs, inFlight, stuck } = scheduler.summary();
  return { jobs, inFlight, stuck };
}
