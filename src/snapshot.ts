/** Plain, JSON-friendly views of a scheduler and its jobs, as `inspect()` and `stop()` return them. */
import type { RunOutcome, TickReason } from './events.js';
import type { ScheduleKind } from './schedules/schedule.js';
import type { AbortCause } from './errors.js';
import type { OverlapPolicy } from './options/types.js';
import type { CoordinationMode } from './coordination/contract.js';

/** A job's lifecycle: `done` when its schedule has no more ticks or `maxRuns` is reached. */
export type JobState = 'active' | 'paused' | 'done' | 'removed';

/** Why a job is paused: by `pause()`, or by itself after `maxConsecutiveFailures`. */
export type PauseReason = 'manual' | 'failures';

/** Counters of a job since it was added. Every tick ends up in exactly one of started, skipped, dropped, missed, or is still buffered. */
export interface JobCounters {
  /** Ticks due (scheduled and manual), missed ones included. */
  readonly ticks: number;
  readonly started: number;
  /** Ticks that went through the buffer (they are also counted as started or dropped later). */
  readonly buffered: number;
  readonly skipped: number;
  readonly dropped: number;
  readonly missed: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly aborted: number;
  /** Attempts beyond the first. */
  readonly retries: number;
}

/** The last run that ended. */
export interface LastRun {
  readonly tick: number;
  readonly tickId: string;
  readonly scheduledAt: Date;
  readonly startedAt: Date;
  readonly endedAt: Date;
  readonly durationMs: number;
  readonly outcome: RunOutcome;
  readonly attempts: number;
  readonly error: { readonly name: string; readonly message: string } | null;
}

/** A run in flight. */
export interface InFlightRun {
  readonly job: string;
  readonly tick: number;
  readonly tickId: string;
  readonly scheduledAt: Date;
  readonly startedAt: Date;
  readonly attempt: number;
  readonly runningForMs: number;
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
  readonly at: Date;
  readonly jobs: readonly JobSnapshot[];
}

/** What `stop()` (and `job.remove()`) resolve with. */
export interface StopReport {
  /** Whether every in-flight run settled before the timeout. */
  readonly clean: boolean;
  /** Runs that settled while stopping. */
  readonly settled: number;
  /** Runs still in flight at the timeout; the scheduler no longer waits for them. */
  readonly stillRunning: readonly InFlightRun[];
  /** Ticks discarded — buffered, overdue, or waiting for a claim — counted as dropped. */
  readonly droppedTicks: number;
  /** Claims that were pending at the coordinator and were aborted (their ticks are among `droppedTicks`). */
  readonly abortedClaims: readonly PendingClaimView[];
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

/** What `job.trigger()` resolves with. */
export type TriggerResult =
  | {
      readonly status: 'completed';
      readonly outcome: RunOutcome;
      readonly attempts: number;
      readonly durationMs: number;
      readonly error?: Error;
    }
  | { readonly status: 'skipped' | 'dropped'; readonly reason: TickReason };
