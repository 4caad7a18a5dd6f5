/**
 * tickguard: periodic jobs for Node.js that never pile up overlapping runs, can always be
 * cancelled, stop when told to, and show what they do.
 *
 * @packageDocumentation
 */
export { createScheduler, type Scheduler } from './scheduler.js';
export type { Job } from './job.js';
export { TestClock } from './test-clock.js';
export { systemClock, MAX_TIMER_DELAY_MS, type Clock, type TimerHandle } from './clock.js';
export { parseDuration, formatDuration, type Duration, type DurationUnit } from './duration.js';
export {
  OVERLAP_POLICIES,
  type OverlapPolicy,
  type JobOptions,
  type JobCommonOptions,
  type ScheduleOptions,
  type JobUpdate,
  type JobTask,
  type RetryOptions,
  type Backoff,
  type SchedulerOptions,
  type StopOptions,
} from './options.js';
export type { RunContext } from './run-context.js';
export type { Logger, LogFn } from './logger.js';
export type { TickCoordinator, TickIdentity } from './coordinator.js';
export type { ScheduleKind } from './triggers/trigger.js';
export type {
  SchedulerEvents,
  SchedulerEventName,
  Listener,
  TickEvent,
  TickResult,
  TickReason,
  RunOutcome,
  RunStartEvent,
  RunEndEvent,
  RunRetryEvent,
  RunStuckEvent,
  JobStateEvent,
  JobStateReason,
} from './events.js';
export type {
  JobState,
  PauseReason,
  JobCounters,
  LastRun,
  InFlightRun,
  JobSnapshot,
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
  RunAbortedError,
  RunTimeoutError,
  NonErrorThrownError,
  type TickguardErrorCode,
  type AbortCause,
} from './errors.js';
