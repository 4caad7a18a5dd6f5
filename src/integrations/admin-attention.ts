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
 * A removed job leaves every set; events of its runs still in flight are ignored. Events name
 * jobs, not job instances, so once a job of the same name is added those runs' events read as
 * the new job's: a `run:stuck` is therefore checked against the job's own snapshot (it is rare:
 * one snapshot per stuck run), and their `run:end` is `aborted` (a removed job's runs are
 * aborted), which leaves `failing` alone. Their tick ids may equal the new job's (both derive
 * from the name and the due time), so a `run:end` of a job with stuck runs reads them from its
 * snapshot as well.
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

/** The jobs that need attention, and every listed job's place in the order of `add()`. */
export class AttentionIndex {
  readonly #scheduler: Scheduler;
  /** Each listed job's place in the order of `add()`. */
  readonly #order = new Map<string, number>();
  #nextOrder = 0;
  /** Job → tick ids of its runs that are stuck now. */
  readonly #stuck = new Map<string, Set<string>>();
  readonly #failing = new Set<string>();
  readonly #pausedByFailures = new Set<string>();

  /** Reads the jobs already there: one `stats()` pass (tens of ms at 100k jobs), nothing when there are none. */
  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
    if (scheduler.summary().jobs.total === 0) return;
    // stats() lists the jobs in the order they were added, as jobs() does.
    for (const stats of scheduler.stats().jobs) {
      this.#order.set(stats.name, this.#nextOrder++);
      if (stats.consecutiveFailures > 0) this.#failing.add(stats.name);
      if (stats.state === 'paused' && stats.pauseReason === 'failures') this.#pausedByFailures.add(stats.name);
      if (stats.stuck > 0) this.#readStuck(stats.name);
    }
  }

  /** Listener of `job:state`. */
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

  /** Listener of `run:stuck`: the job's snapshot, not the event, says which of its runs are stuck (one snapshot per stuck run: they are rare). */
  runStuck(event: RunStuckEvent): void {
    if (this.#listed(event.job)) this.#readStuck(event.job);
  }

  /** Sets the job's stuck runs to those its snapshot shows (none: it leaves the set). */
  #readStuck(name: string): void {
    const runs = this.#scheduler.get(name)?.inspect().runs ?? [];
    const stuck = new Set(runs.filter((run) => run.stuck).map((run) => run.tickId));
    if (stuck.size > 0) this.#stuck.set(name, stuck);
    else this.#stuck.delete(name);
  }

  /** Listener of `run:retry`: the attempt that was stuck has settled. */
  runRetry(event: RunRetryEvent): void {
    this.#unstick(event.job, event.tickId);
  }

  /** Listener of `run:end`: the run is no longer stuck; its outcome raises or clears `failing`. */
  runEnd(event: RunEndEvent): void {
    // Read from the job (the run has left it by now), not by tick id: a removed job's run can share one with the new job's.
    if (this.#stuck.has(event.job)) this.#readStuck(event.job);
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

  /** Listed jobs. */
  get size(): number {
    return this.#order.size;
  }

  /** Every listed job's name, in the order they were added. */
  ordered(): IterableIterator<string> {
    return this.#order.keys();
  }

  /** A name left by an `add()` that failed after announcing its job: it is not listed. */
  forgetStale(name: string): void {
    if (this.#scheduler.get(name) === undefined) this.#order.delete(name);
  }

  /** Whether a job is kept for any of `what`; `size` is an upper bound of how many are. */
  matcher(what: readonly Attention[]): { readonly size: number; has(name: string): boolean } {
    const sets = what.map((kind): { readonly size: number; has(name: string): boolean } => (kind === 'stuck' ? this.#stuck : kind === 'failing' ? this.#failing : this.#pausedByFailures));
    return {
      size: sets.reduce((sum, set) => sum + set.size, 0),
      has: (name) => sets.some((set) => set.has(name)),
    };
  }

  /** How many jobs are kept for any of `what`: each set holds listed jobs only, so this is exact. */
  union(what: readonly Attention[]): number {
    const sets = what.map((kind) => this.#set(kind)).sort((a, b) => b.size - a.size);
    const [largest, ...others] = sets;
    if (largest === undefined) return 0;
    // The largest set counted whole, the others for the names it lacks: O(the smaller sets).
    let count = largest.size;
    others.forEach((set, at) => {
      for (const name of set.keys()) if (!sets.slice(0, at + 1).some((earlier) => earlier.has(name))) count += 1;
    });
    return count;
  }

  #set(kind: Attention): ReadonlyMap<string, unknown> | ReadonlySet<string> {
    return kind === 'stuck' ? this.#stuck : kind === 'failing' ? this.#failing : this.#pausedByFailures;
  }

  /**
   * The names of the jobs kept for any of `what`, in the order they were added. While they are a
   * small part of the jobs they are sorted by their number; otherwise the order is walked and
   * filtered — no copy of the scheduler's list either way, and a reader that needs only the
   * first few stops early.
   */
  *candidates(what: readonly Attention[]): Generator<string, void, undefined> {
    const match = this.matcher(what);
    if (match.size === 0) return;
    if (match.size * 16 < this.#order.size) {
      const names = new Set<string>();
      for (const kind of what) for (const name of kind === 'stuck' ? this.#stuck.keys() : kind === 'failing' ? this.#failing : this.#pausedByFailures) names.add(name);
      yield* [...names].sort((a, b) => (this.#order.get(a) ?? 0) - (this.#order.get(b) ?? 0));
      return;
    }
    for (const name of this.#order.keys()) if (match.has(name)) yield name;
  }
}
