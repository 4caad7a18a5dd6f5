/**
 * Which jobs need attention, kept from the scheduler's events so that a request finds them
 * without looking at every job: jobs with a run stuck past `stuckAfter`, jobs whose last run
 * failed (`consecutiveFailures > 0`), jobs that paused themselves after failures. With 100k
 * jobs a scan costs milliseconds and building every snapshot most of a second; these sets cost
 * a few map operations per failed, stuck or state-changing run, and nothing per successful run
 * of a job that was not failing.
 *
 * The sets follow the engine's rules (executor.ts, run/run.ts), which the tests check against
 * `stats()` after every step:
 * - `consecutiveFailures` is raised by an `error` or `timeout` outcome, reset by a `success` or a
 *   resume, left alone by an abort;
 * - a run is stuck from its `run:stuck` until its attempt settles (`run:retry` or `run:end`);
 * - a job is paused by failures from its `job:state` (`to: 'paused'`, `reason: 'failures'`) until
 *   its next state change.
 * A removed job leaves every set; events of its runs still in flight are ignored.
 *
 * The index also keeps the listed jobs in the order they were added, numbered, as the scheduler
 * lists them: a page from the start is read off it without copying the scheduler's list, and a
 * few jobs are put in order without a scan.
 */
import type { Scheduler } from '../scheduler.js';
import type { JobStateEvent, RunEndEvent, RunRetryEvent, RunStuckEvent } from '../events.js';
import type { Job } from '../job.js';

/** What the index keeps a job for. */
export type Attention = 'stuck' | 'failing' | 'paused-by-failures';

export class AttentionIndex {
  readonly #scheduler: Scheduler;
  /** Each listed job's place in the order of `add()`. */
  readonly #order = new Map<string, number>();
  #nextOrder = 0;
  /** Job → tick ids of its runs that are stuck now. */
  readonly #stuck = new Map<string, Set<string>>();
  readonly #failing = new Set<string>();
  readonly #pausedByFailures = new Set<string>();

  /** Reads the jobs already there: `stats()` once (about 18 ms at 100k jobs), nothing when there are none. */
  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
    if (scheduler.summary().jobs.total === 0) return;
    for (const job of scheduler.jobs()) this.#order.set(job.name, this.#nextOrder++);
    for (const stats of scheduler.stats().jobs) {
      if (stats.consecutiveFailures > 0) this.#failing.add(stats.name);
      if (stats.state === 'paused' && stats.pauseReason === 'failures') this.#pausedByFailures.add(stats.name);
      if (stats.stuck > 0) {
        const runs = scheduler.get(stats.name)?.inspect().runs ?? [];
        this.#stuck.set(stats.name, new Set(runs.filter((run) => run.stuck).map((run) => run.tickId)));
      }
    }
  }

  /** The listeners to add to the scheduler, by event. */
  jobState(event: JobStateEvent): void {
    const name = event.job;
    if (event.from === null) {
      // Deleted first: a name left by an add() that failed at its last step must move to the end.
      this.#order.delete(name);
      this.#order.set(name, this.#nextOrder++);
      return;
    }
    if (event.to === 'removed') {
      this.#order.delete(name);
      this.#stuck.delete(name);
      this.#failing.delete(name);
      this.#pausedByFailures.delete(name);
      return;
    }
    if (event.to === 'paused' && event.reason === 'failures') this.#pausedByFailures.add(name);
    else this.#pausedByFailures.delete(name);
    if (event.reason === 'resumed') this.#failing.delete(name);
  }

  runStuck(event: RunStuckEvent): void {
    if (!this.#listed(event.job)) return;
    let runs = this.#stuck.get(event.job);
    if (runs === undefined) this.#stuck.set(event.job, (runs = new Set()));
    runs.add(event.tickId);
  }

  runRetry(event: RunRetryEvent): void {
    this.#unstick(event.job, event.tickId);
  }

  runEnd(event: RunEndEvent): void {
    if (this.#stuck.size > 0) this.#unstick(event.job, event.tickId);
    if (event.outcome === 'success') {
      if (this.#failing.size > 0) this.#failing.delete(event.job);
    } else if ((event.outcome === 'error' || event.outcome === 'timeout') && this.#listed(event.job)) {
      this.#failing.add(event.job);
    }
  }

  /** Whether the event is of a listed job, not of a removed one whose runs are still going. */
  #listed(name: string): boolean {
    return this.#order.has(name) && this.#scheduler.get(name) !== undefined;
  }

  #unstick(job: string, tickId: string): void {
    const runs = this.#stuck.get(job);
    if (runs === undefined) return;
    runs.delete(tickId);
    if (runs.size === 0) this.#stuck.delete(job);
  }

  /** How many jobs are kept for `what`. */
  count(what: Attention): number {
    return what === 'stuck' ? this.#stuck.size : what === 'failing' ? this.#failing.size : this.#pausedByFailures.size;
  }

  /** Whether the job named is kept for `what`. */
  has(what: Attention, name: string): boolean {
    return what === 'stuck' ? this.#stuck.has(name) : what === 'failing' ? this.#failing.has(name) : this.#pausedByFailures.has(name);
  }

  /**
   * `count` listed jobs from the `skip`-th on, in the order they were added: O(skip + count),
   * against O(jobs) for a copy of `scheduler.jobs()`.
   */
  slice(skip: number, count: number): Job[] {
    const jobs: Job[] = [];
    if (count <= 0) return jobs;
    let index = 0;
    for (const name of this.#order.keys()) {
      const job = this.#scheduler.get(name);
      // A name whose add() failed after its job:state event is not listed.
      if (job === undefined) continue;
      if (index >= skip) {
        jobs.push(job);
        if (jobs.length === count) break;
      }
      index += 1;
    }
    return jobs;
  }

  /** The names kept for any of `what`, each once, in no particular order. */
  names(what: readonly Attention[]): Set<string> {
    const names = new Set<string>();
    for (const kind of what) {
      const source = kind === 'stuck' ? this.#stuck.keys() : kind === 'failing' ? this.#failing : this.#pausedByFailures;
      for (const name of source) names.add(name);
    }
    return names;
  }

  /**
   * The jobs named, in the order they were added. Sorting is cheaper than a scan of every job
   * while the names are a small part of them; otherwise the scheduler's own list is filtered.
   */
  inOrder(names: ReadonlySet<string>, all: () => readonly Job[]): Job[] {
    if (names.size * 16 >= this.#order.size) return all().filter((job) => names.has(job.name));
    const jobs: Job[] = [];
    for (const name of names) {
      const job = this.#scheduler.get(name);
      if (job !== undefined) jobs.push(job);
    }
    return jobs.sort((a, b) => (this.#order.get(a.name) ?? 0) - (this.#order.get(b.name) ?? 0));
  }
}
