/**
 * Option types of `createScheduler()`, `scheduler.add()`, `job.update()` and `stop()`. Defaults
 * are quoted from `DEFAULTS` (`options/defaults.ts`).
 */
import type { Clock } from '../clock.js';
import type { Duration } from '../duration.js';
import type { Logger } from '../logger.js';
import type { RunContext } from '../run/context.js';
import type { CoordinationMode, Coordinator } from '../coordination/contract.js';

/** What a tick does when all of a job's `maxConcurrency` slots are busy. */
export type OverlapPolicy = 'skip' | 'buffer-one' | 'buffer-all' | 'cancel-other';

/** The overlap policies, in the order the docs present them. */
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ['skip', 'buffer-one', 'buffer-all', 'cancel-other'];

/** How long to wait before a retry: a fixed duration, or growing exponentially. */
export type Backoff =
  | Duration
  | {
      /** Wait before the first retry. */
      readonly initial: Duration;
      /** Multiplier per further retry. @default 2 */
      readonly factor?: number;
      /** Upper bound of one wait. @default Infinity */
      readonly max?: Duration;
    };

/** Retries of a failed attempt, inside the same slot (a retry never overlaps the next tick). */
export interface RetryOptions {
  /** Tries in all, the first included: `3` means up to two retries. */
  readonly attempts: number;
  /** Wait between attempts. @default 0 */
  readonly backoff?: Backoff;
  /** Return `false` to give up on this error at once. @default every error and timeout is retried */
  readonly retryIf?: (error: Error, attempt: number) => boolean;
}

/** The task of a job. It may be sync or async; it should stop when `ctx.signal` aborts. */
export type JobTask = (ctx: RunContext) => unknown;

/** Options of a job other than its schedule. */
export interface JobCommonOptions {
  /** Unique within the scheduler; names the job in snapshots, logs, metrics and errors. No `@` (it separates the name from the due time in tick ids). */
  readonly name: string;
  /** The work to do on each tick. */
  readonly run: JobTask;
  /** IANA time zone of a `cron` schedule, e.g. `'Europe/Berlin'`. @default the process's zone */
  readonly timezone?: string;
  /**
   * fixedRate: the first tick is the first slot at or after `add()` + `initialDelay`; fixedDelay:
   * the first tick is due this long after `add()`. @default fixedRate: the next slot after `add()`; fixedDelay: one delay
   */
  readonly initialDelay?: Duration;
  /**
   * fixedRate only: slots are `phase + k·period` from the Unix epoch, so `fixedRate: '1m', phase: '15s'`
   * ticks at :15 of every minute. Below the period. @default 0 (`DEFAULTS.phaseMs`)
   */
  readonly phase?: Duration;
  /**
   * Also tick at once after `add()`: the schedule's current tick (fixedRate: the latest slot at or
   * before `add()`; cron: the latest occurrence), so that replicas starting together agree on it;
   * fixedDelay and `at`: a tick at the add time. @default false (`DEFAULTS.runOnStart`)
   */
  readonly runOnStart?: boolean;
  /**
   * Up to this much random delay is added to each scheduled start (not to `scheduledAt`); it is
   * never counted as a stall. Below the period for fixedRate. @default 0
   */
  readonly jitter?: Duration;
  /** After this many started runs the job is `done`. @default Infinity (`DEFAULTS.maxRuns`) */
  readonly maxRuns?: number;
  /** Runs of this job that may be in flight at once (in this process); 1 under `coordination: 'exclusive'`. @default 1 (`DEFAULTS.maxConcurrency`) */
  readonly maxConcurrency?: number;
  /** What a tick does when every slot is busy. @default 'skip' (`DEFAULTS.overlap`) */
  readonly overlap?: OverlapPolicy;
  /** Bound of the queue under `overlap: 'buffer-all'` (and only there); on overflow the oldest tick is dropped. @default 100 (`DEFAULTS.maxBuffered`) */
  readonly maxBuffered?: number;
  /** Per attempt: then `ctx.signal` aborts with a {@link RunTimeoutError}. @default none */
  readonly timeout?: Duration;
  /** A run still in flight this long after its attempt started is reported as stuck. @default `timeout` + 1s when `timeout` is set, else never */
  readonly stuckAfter?: Duration;
  /** Retry policy for failed or timed-out attempts. @default one attempt */
  readonly retry?: RetryOptions;
  /** After this many failed runs in a row the job pauses itself. @default Infinity (`DEFAULTS.maxConsecutiveFailures`) */
  readonly maxConsecutiveFailures?: number;
  /**
   * How the job is coordinated across replicas through the scheduler's `coordinator`. A fixedDelay
   * job has no shared slots: `'exclusive'` (leadership) or `'local'`. Without a coordinator only
   * `'local'`.
   * @default with a coordinator: `'exclusive'` for fixedDelay (leadership), `'per-tick'` otherwise; without one: `'local'`
   */
  readonly coordination?: CoordinationMode;
  /** Lifetime of the job's coordination lease between renewals (renewed at a third of it). @default '30s' (`DEFAULTS.leaseTtlMs`) */
  readonly leaseTtl?: Duration;
  /**
   * fixedRate and cron jobs of a coordinated scheduler: when the job is added, its latest slot runs
   * at once if it is at most `window` old and no replica ran it — the one tick missed while every
   * replica was down (Kubernetes CronJob's `startingDeadlineSeconds`, Temporal's `catchupWindow`).
   * Tick records are kept at least this long. @default none: a tick missed while every replica was down stays missed
   */
  readonly catchUp?: { readonly window: Duration };
}

/** Exactly one schedule: the union makes passing none or two a type error. */
export type ScheduleOptions =
  | { readonly fixedRate: Duration; readonly fixedDelay?: never; readonly cron?: never; readonly at?: never }
  | { readonly fixedDelay: Duration; readonly fixedRate?: never; readonly cron?: never; readonly at?: never }
  | { readonly cron: string; readonly fixedRate?: never; readonly fixedDelay?: never; readonly at?: never }
  | { readonly at: Date | number; readonly fixedRate?: never; readonly fixedDelay?: never; readonly cron?: never };

/** Options of `scheduler.add()`. */
export type JobOptions = JobCommonOptions & ScheduleOptions;

/** No schedule: an update that keeps the job's current one. */
export interface NoScheduleChange {
  readonly fixedRate?: never;
  readonly fixedDelay?: never;
  readonly cron?: never;
  readonly at?: never;
}

/**
 * What `job.update()` accepts: anything but the name, and at most one schedule — a new schedule
 * replaces the old one whole (`job.update({ cron: '0 * * * *' })` turns a fixedRate job into a
 * cron job), so naming two is a type error, as it is a {@link InvalidOptionError} at run time.
 */
export type JobUpdate = Partial<Omit<JobCommonOptions, 'name'>> & (NoScheduleChange | ScheduleOptions);

/** Options of `createScheduler()`. */
export interface SchedulerOptions {
  /** Source of time, timers and randomness. Pass a {@link TestClock} in tests. @default the system clock */
  readonly clock?: Clock;
  /** A pino-compatible logger. @default silent */
  readonly logger?: Logger;
  /** Let the process exit while the scheduler's timer is the only thing left. @default false (`DEFAULTS.unref`) */
  readonly unref?: boolean;
  /** Claims each tick across replicas just before it starts (see {@link Coordinator}). @default none: every tick runs here */
  readonly coordinator?: Coordinator;
  /**
   * How long a claim may take before its signal aborts and the tick is skipped (`'claim-timeout'`).
   * A job whose `leaseTtl` is shorter gives its claims less: the TTL less a tenth (at most 1 s), since a
   * lease heard of later may already be another replica's. @default '5s' (`DEFAULTS.claimTimeoutMs`)
   */
  readonly claimTimeout?: Duration;
  /**
   * What a coordinated tick does when its claim fails — the store unreachable, the claim timed out
   * or failed: `'skip'` it (fail closed, counted with its reason), or `'run'` it here without a lease
   * (fail open: replicas may then run it too). @default 'skip' (`DEFAULTS.onCoordinatorError`)
   */
  readonly onCoordinatorError?: 'skip' | 'run';
}

/** Options of `scheduler.stop()` and `job.remove()`. */
export interface StopOptions {
  /** Give in-flight runs this long to settle, then resolve with them listed as still running. @default '10s' (`DEFAULTS.stopTimeoutMs`) */
  readonly timeout?: Duration;
  /** Abort in-flight runs' signals first. @default false for stop(), true for remove() */
  readonly abort?: boolean;
}

/** Retry options after validation. */
export interface RetryConfig {
  readonly attempts: number;
  readonly delayMs: (retry: number) => number;
  readonly retryIf: ((error: Error, attempt: number) => boolean) | undefined;
}

