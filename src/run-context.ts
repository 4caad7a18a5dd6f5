import type { Logger } from './logger.js';

/** What a task receives on each attempt. */
export interface RunContext {
  /** Aborts on timeout, `cancel-other`, `stop({ abort: true })` and `remove()`; its `reason` is a {@link RunAbortedError}. */
  readonly signal: AbortSignal;
  /** The job's name. */
  readonly jobName: string;
  /** The job's tick counter: 1 for its first tick, skipped and missed ticks included. */
  readonly tick: number;
  /** Stable identity of the tick: `${jobName}@${scheduledAt ISO}`. */
  readonly tickId: string;
  /** The nominal due time of the tick, not the firing time. */
  readonly scheduledAt: Date;
  /** When this attempt started. */
  readonly startedAt: Date;
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number;
  /** Whether the tick came from `job.trigger()`. */
  readonly manual: boolean;
  /** This run's child logger, bound to job, tick and attempt. */
  readonly log: Logger;
}
