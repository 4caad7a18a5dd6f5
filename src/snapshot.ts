/** Plain, JSON-friendly views of a scheduler and its jobs, as `inspect()` and `stop()` return them. */
import type { RunOutcome, TickReason } from './events.js';
import type { ScheduleKind } from './schedules/schedule.js';
import type { AbortCause } from './errors.js';
import type { OverlapPolicy } from './options/types.js';
import type { CoordinationMode, CoordinatorStatus } from './coordination/contract.js';

/** A job's lifecycle: `done` when its schedule has no more ticks or `maxRuns` is reached. */
export type JobState = 'active' | 'paused' | 'done' | 'removed';

/** Why a job is paused: by `pause()`, or by itself after `maxConsecutiveFailures`. */
export type PauseReason = 'manual' | 'failures';

/**
 * Counters of a job since it was added. Every tick ends up in exactly one of started, skipped,
 * dropped, missed — or is still waiting: in the buffer (`buffered` in the snapshot) or for its
 * claim (`claiming`).
 */
export interface JobCounters {
  /** Ticks due (scheduled and manual), missed ones included. */
  readonly ticks: number;
  /** Ticks whose run started. */
  readonly started: number;
  /** Ticks that went through the buffer (they are also counted as started or dropped later). */
  readonly buffered: number;
  /** Ticks that did not run: busy, paused, claimed elsewhere, claim failed, done. */
  readonly skipped: number;
  /** Ticks discarded: buffer full, replaced, stopped, removed, done. */
  readonly dropped: number;
  /** Ticks overtaken by a stall (the event loop was blocked, or the wall clock jumped). */
  readonly missed: number;
  /** Runs that ended with `success`. */
  readonly succeeded: number;
  /** Runs that ended with `error`. */
  readonly failed: number;
  /** Runs that ended with `timeout`. */
  readonly timedOut: number;
  /** Runs that ended with `aborted`. */
  readonly aborted: number;
  /** Attempts beyond the first. */
  readonly retries: number;
}

/** The last run that ended. Dates are wall-clock; `durationMs` is measured on the monotonic clock. */
export interface LastRun {
  /** The job's tick counter of its tick. */
  readonly tick: number;
  readonly tickId: string;
  /** The tick's nominal due time. */
  readonly scheduledAt: Date;
  /** When its first attempt started. */
  readonly startedAt: Date;
  /** When it ended, retries included. */
  readonly endedAt: Date;
  readonly durationMs: number;
  readonly outcome: RunOutcome;
  /** Attempts made (0 when it was aborted before its task was called). */
  readonly attempts: number;
  /** The last attempt's error, for outcomes other than `success`. */
  readonly error: { readonly name: string; readonly message: string } | null;
}

/** A run in flight. */
export interface InFlightRun {
  readonly job: string;
  /** The job's tick counter of its tick. */
  readonly tick: number;
  readonly tickId: string;
  /** The tick's nominal due time. */
  readonly scheduledAt: Date;
  /** When its first attempt started (wall clock). */
  readonly startedAt: Date;
  /** The attempt in progress (or the one that failed, while waiting to retry). */
  readonly attempt: number;
  /** Since its first attempt started. */
  readonly runningForMs: number;
  /** Whether it is in flight past `stuckAfter`. */
  readonly stuck: boolean;
  /** Set once the run's signal was aborted. */
  readonly abortCause: AbortCause | null;
  /** The fencing token of the lease the run holds, when the job is coordinated. */
  readonly leaseToken: number | null;
}

/** A claim sent to the coordinator and not answered yet. */
export interface PendingClaimView {
  readonly job: string;
  readonly tickId: string;
  readonly scheduledAt: Date;
  readonly pendingForMs: number;
}

/** One job, as `inspect()` shows it. */
export interface JobSnapshot {
  readonly name: string;
  readonly state: JobState;
  readonly pauseReason: PauseReason | null;
  readonly schedule: { readonly kind: ScheduleKind; readonly description: string };
  /** When the next scheduled tick is due (a wall-clock instant); `null` when none is armed. */
  readonly nextRunAt: Date | null;
  /** Runs in flight. */
  readonly inFlight: number;
  /** Ticks whose claim is pending at the coordinator; each holds a slot meanwhile. */
  readonly claiming: number;
  /** How the job is coordinated across replicas. */
  readonly coordination: CoordinationMode;
  /** In-flight runs past `stuckAfter`. */
  readonly stuck: number;
  readonly buffered: number;
  readonly maxConcurrency: number;
  readonly overlap: OverlapPolicy;
  readonly consecutiveFailures: number;
  readonly counters: JobCounters;
  readonly lastRun: LastRun | null;
  readonly runs: readonly InFlightRun[];
}

/** The scheduler's lifecycle. */
export type SchedulerState = 'running' | 'stopping' | 'stopped';

/** What `scheduler.inspect()` returns. */
export interface SchedulerSnapshot {
  readonly state: SchedulerState;
  /** When the snapshot was taken (wall clock). */
  readonly at: Date;
  readonly jobs: readonly JobSnapshot[];
  /** What the coordinator reports of its store (reachable, clock skew), when it reports anything. */
  readonly coordinator: CoordinatorStatus | null;
}

/** What `stop()` (and `job.remove()`) resolve with. */
export interface StopReport {
  /**
   * Whether every in-flight run settled, and the coordinator answered every call (lease releases,
   * abandoned claims), before the timeout.
   */
  readonly clean: boolean;
  /** Runs that settled while stopping. */
  readonly settled: number;
  /** Runs still in flight at the timeout; the scheduler no longer waits for them. */
  readonly stillRunning: readonly InFlightRun[];
  /** Ticks discarded — buffered, overdue, or waiting for a claim — counted as dropped. */
  readonly droppedTicks: number;
  /** Claims that were pending at the coordinator and were aborted (their ticks are among `droppedTicks`). */
  readonly abortedClaims: readonly PendingClaimView[];
  /**
   * Calls to the coordinator (claims, renewals, releases) still unanswered at the timeout; `0`
   * otherwise. A lease whose release did not get through expires on its own after its TTL.
   */
  readonly unansweredCalls: number;
  /** How long the stop (or remove) waited. */
  readonly durationMs: number;
}

/** A job's figures without building its full snapshot: what metrics and dashboards read at scale. */
export interface JobStats {
  readonly name: string;
  readonly state: JobState;
  readonly pauseReason: PauseReason | null;
  readonly inFlight: number;
  readonly claiming: number;
  readonly stuck: number;
  readonly buffered: number;
  readonly consecutiveFailures: number;
  readonly counters: JobCounters;
}

/** What `job.trigger()` resolves with: the run's outcome, or why the manual tick did not run. */
export type TriggerResult =
  | {
      /** The tick ran. */
      readonly status: 'completed';
      readonly outcome: RunOutcome;
      /** Attempts made. */
      readonly attempts: number;
      /** From the first attempt's start to the end, backoff included. */
      readonly durationMs: number;
      /** The last attempt's error, for outcomes other than `success`. */
      readonly error?: Error;
    }
  | { readonly status: 'skipped' | 'dropped'; readonly reason: TickReason };
