/**
 * What `tickguard/prometheus` counts, as plain numbers: one record per job that has its own
 * series, plus one shared by every job past the cap. The scheduler's listeners only add to these
 * numbers (no label hashing, no prom-client call on a run's path); the metrics read them when the
 * registry is collected (prom-collected.ts).
 *
 * Invariants:
 * - A job gets its own record the first time it is seen, while fewer than `maxJobSeries` jobs
 *   have one; it keeps it for the life of the registration, removed or not, so its counters never
 *   go back and never move to another series.
 * - Every job seen later is counted in the overflow record, whose `job` label is
 *   {@link OVERFLOW_JOB}: sums over `job` stay exact whatever the cap.
 */
import type { Job } from '../job.js';
import type { RunOutcome, TickResult } from '../events.js';

/**
 * The `job` label of the series that count, together, every job past `maxJobSeries`. No job
 * can have this name: job names may not contain '@'.
 */
export const OVERFLOW_JOB = '@overflow';

/** Label names to values, as prom-client reads them (a bucket's `le` is a number, as in prom-client's histograms). */
export type Labels = Readonly<Record<string, string | number>>;

/** The outcomes of `runs_total`, in the order of {@link JobRecord.runs}. */
export const OUTCOMES: readonly RunOutcome[] = ['success', 'error', 'timeout', 'aborted'];
/** The results of `ticks_total`, in the order of {@link JobRecord.ticks}. */
export const TICK_RESULTS: readonly TickResult[] = ['started', 'skipped', 'buffered', 'dropped', 'missed'];

const OUTCOME_INDEX: Readonly<Record<RunOutcome, number>> = { success: 0, error: 1, timeout: 2, aborted: 3 };
const TICK_INDEX: Readonly<Record<TickResult, number>> = { started: 0, skipped: 1, buffered: 2, dropped: 3, missed: 4 };

/** Where a value falls in a histogram's buckets, for a run's path: counts, sum and count. */
export class HistogramCounts {
  /** Observations per bucket, not cumulative: `[i]` counts values in (bounds[i-1], bounds[i]]. */
  readonly buckets: Float64Array;
  /** Sum of the values observed. */
  sum = 0;
  /** Values observed: the `+Inf` bucket and `_count`. */
  count = 0;
  /**
   * The labels of each bucket's line (`le` and the job's), `+Inf` last: made at the first scrape
   * and kept, so that prom-client's registry formats each line's labels once (see prom-collected.ts).
   */
  bucketLabels: readonly Labels[] | undefined;
  readonly #bounds: readonly number[];

  /** `bounds`: the buckets' upper bounds, strictly increasing, without `+Inf`. */
  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.buckets = new Float64Array(bounds.length);
  }

  /** Same bucket rule (`value <= bound`) and the same sum, in the same order, as prom-client's `observe()`. */
  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    const bounds = this.#bounds;
    for (let index = 0; index < bounds.length; index++) {
      if (value <= bounds[index]!) {
        this.buckets[index]! += 1;
        return;
      }
    }
  }

  /** Back to no observations (`registry.resetMetrics()`). */
  reset(): void {
    this.buckets.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/** One counter series whose labels are known only when it first counts (a reason, a cause). */
export interface SparseSeries {
  /** All the series' labels, `job` included; the same object for the series' life. */
  readonly labels: Labels;
  /** Its count so far. */
  value: number;
}

/** Series by a key of their extra labels, each made on its first count (as prom-client makes them on `inc()`). */
export class SparseCounter {
  /** The series by key (the values of their extra labels, joined), in the order first counted. */
  readonly series = new Map<string, SparseSeries>();

  /** Adds `amount` to the series of `key`, made with `labels()` if it has not counted yet. */
  add(key: string, labels: () => Labels, amount: number): void {
    const found = this.series.get(key);
    if (found !== undefined) found.value += amount;
    else this.series.set(key, { labels: labels(), value: amount });
  }
}

/** Everything counted of one job (or of all the overflowing jobs together). */
export class JobRecord {
  /** The `job` label value. */
  readonly job: string;
  /** `{ job }`, kept so that prom-client's cache of shared labels finds it scrape after scrape. */
  readonly labels: Labels;
  /** Runs ended, by {@link OUTCOMES} order. */
  readonly runs = new Float64Array(OUTCOMES.length);
  /** `{ job, outcome }` of each of {@link runs}. */
  readonly runLabels: readonly Labels[];
  /** Ticks, by {@link TICK_RESULTS} order. */
  readonly ticks = new Float64Array(TICK_RESULTS.length);
  /** `{ job, result }` of each of {@link ticks}. */
  readonly tickLabels: readonly Labels[];
  /** `run_duration_seconds`. */
  readonly duration: HistogramCounts;
  /** `schedule_lateness_seconds`. */
  readonly lateness: HistogramCounts;
  /** Made on the job's first claim: jobs that never claim show no claim histogram. */
  claimDuration: HistogramCounts | undefined;
  /** `ticks_not_run_total`, by result and reason. */
  readonly notRun = new SparseCounter();
  /** `runs_aborted_total`, by cause. */
  readonly aborted = new SparseCounter();
  /** `claims_total`, by result. */
  readonly claims = new SparseCounter();
  /** `lease_renewals_total`, by result. */
  readonly renewals = new SparseCounter();
  /** Its series shows once it counted (as with `inc()`). */
  leasesLost = 0;
  /**
   * The handles for the job's gauges: the job of this name, and any removed one of the same name
   * whose runs have not settled yet (a job can be added again while the removed one's runs finish).
   * A removed handle is let go once its runs have settled; always empty for the overflow record.
   */
  readonly handles: Job[] = [];

  /** A record with nothing counted, its fixed series at zero. */
  constructor(job: string, durationBuckets: readonly number[], latenessBuckets: readonly number[]) {
    this.job = job;
    this.labels = { job };
    this.runLabels = OUTCOMES.map((outcome) => ({ job, outcome }));
    this.tickLabels = TICK_RESULTS.map((result) => ({ job, result }));
    this.duration = new HistogramCounts(durationBuckets);
    this.lateness = new HistogramCounts(latenessBuckets);
  }

  /** One run ended with `outcome`. */
  countRun(outcome: RunOutcome): void {
    this.runs[OUTCOME_INDEX[outcome]]! += 1;
  }

  /** `count` ticks became `result`. */
  countTicks(result: TickResult, count: number): void {
    this.ticks[TICK_INDEX[result]]! += count;
  }
}

/** Options of a {@link RecordTable}. */
export interface RecordTableOptions {
  /** How many jobs get a record of their own; `Infinity` for all. */
  readonly maxJobSeries: number;
  /** Bounds of every record's `duration`. */
  readonly durationBuckets: readonly number[];
  /** Bounds of every record's `lateness`. */
  readonly latenessBuckets: readonly number[];
  /** Called once, when the first job past the cap is seen. */
  readonly onOverflow: () => void;
}

/** The records by job name, under the cap. */
export class RecordTable {
  readonly #own = new Map<string, JobRecord>();
  readonly #options: RecordTableOptions;
  #overflow: JobRecord | undefined;

  /** An empty table: no job seen yet. */
  constructor(options: RecordTableOptions) {
    this.#options = options;
  }

  /** The record that counts this job: its own, made now if there is room, or the overflow one. */
  recordOf(job: string): JobRecord {
    const own = this.#own.get(job);
    if (own !== undefined) return own;
    const { maxJobSeries, durationBuckets, latenessBuckets } = this.#options;
    if (this.#own.size < maxJobSeries) {
      const made = new JobRecord(job, durationBuckets, latenessBuckets);
      this.#own.set(job, made);
      return made;
    }
    if (this.#overflow === undefined) {
      this.#overflow = new JobRecord(OVERFLOW_JOB, durationBuckets, latenessBuckets);
      this.#options.onOverflow();
    }
    return this.#overflow;
  }

  /** The job's own record, if it has one. */
  ownRecord(job: string): JobRecord | undefined {
    return this.#own.get(job);
  }

  /** The jobs with their own series, in the order they were first seen. */
  own(): IterableIterator<JobRecord> {
    return this.#own.values();
  }

  /** The record of the jobs past the cap; `undefined` until one is seen. */
  get overflow(): JobRecord | undefined {
    return this.#overflow;
  }

  /** Every record that has series: the own ones, then the overflow one. */
  *all(): IterableIterator<JobRecord> {
    yield* this.#own.values();
    if (this.#overflow !== undefined) yield this.#overflow;
  }
}
