/**
 * tickguard: periodic jobs for Node.js that never pile up overlapping runs, can always be
 * cancelled, stop when told to, and show what they do.
 *
 * @packageDocumentation
 */
export { createScheduler, type Scheduler, type SchedulerStats, type SchedulerSummary } from './scheduler.js';
export type { Job } from './job.js';
export { TestClock, type TestClockOptions } from './test-clock.js';
export { systemClock, MAX_TIMER_DELAY_MS, type Clock, type TimerHandle } from './clock.js';
export { parseDuration, formatDuration, isDuration, type Duration, type DurationUnit, type DurationPart, type DurationString } from './duration.js';
export { DEFAULTS, LIMITS } from './options/defaults.js';
export {
  OVERLAP_POLICIES,
  type OverlapPolicy,
  type JobOptions,
  type JobCommonOptions,
  type ScheduleOptions,
  type JobUpdate,
  type NoScheduleChange,
  type JobTask,
  type RetryOptions,
  type Backoff,
  type SchedulerOptions,
  type StopOptions,
} from './options/types.js';
export type { RunContext } from './run/context.js';
export type { Logger, LogFn, RunLogger, RunLogFn } from './logger.js';
export type {
  Coordinator,
  TickCoordinator,
  TickIdentity,
  ClaimRequest,
  ClaimOptions,
  ClaimResult,
  Lease,
  LeaseInfo,
  CoordinationMode,
  CoordinatorContext,
  CoordinatorStatus,
} from './coordination/contract.js';
export {
  createMemoryCoordinator,
  MemoryCoordinationStore,
  type MemoryCoordinator,
  type MemoryCoordinatorOptions,
} from './coordination/memory.js';
export type { ScheduleKind } from './schedules/schedule.js';
export type {
  SchedulerEvents,
  SchedulerEventName,
  Listener,
  TickEvent,
  TickStartedEvent,
  TickSkippedEvent,
  TickDroppedEvent,
  TickMissedEvent,
  TickResult,
  TickReason,
  SkipReason,
  DropReason,
  MissReason,
  RunOutcome,
  RunStartEvent,
  RunEndEvent,
  RunSucceededEvent,
  RunFailedEvent,
  RunTimedOutEvent,
  RunAbortedEvent,
  RunRetryEvent,
  RunStuckEvent,
  JobStateEvent,
  JobActiveEvent,
  JobPausedEvent,
  JobDoneEvent,
  JobRemovedEvent,
  JobStateReason,
  ClaimEvent,
  ClaimWonEvent,
  ClaimRefusedEvent,
  ClaimEventResult,
  ClaimRefusalReason,
  LeaseEvent,
  LeaseRenewedEvent,
  LeaseTroubleEvent,
} from './events.js';
export type {
  JobState,
  PauseReason,
  JobCounters,
  LastRun,
  InFlightRun,
  PendingClaimView,
  JobSnapshot,
  JobStats,
  SchedulerState,
  SchedulerSnapshot,
  StopReport,
  TriggerResult,
} from './snapshot.js';
export {
  TickguardError,
  InvalidOptionError,
  InvalidDurationError,
  InvalidCronError,
  DuplicateJobError,
  SchedulerStoppedError,
  JobRemovedError,
  JobDoneError,
  RunAbortedError,
  RunTimeoutError,
  NonErrorThrownError,
  InvalidClaimResultError,
  ClaimTimeoutError,
  CoordinatorUnavailableError,
  ClockMisuseError,
  type TickguardErrorCode,
  type AbortCause,
} from './errors.js';
