/**
 * A schedule computes due times and nothing else: pure functions of the instants it is given,
 * tested with tables of fixed dates (robfig/cron's `Schedule.Next`, croner's queries). Timers,
 * clocks and runs live elsewhere: `ticker.ts` turns due times into ticks on the tick loop.
 *
 * Due times are epoch milliseconds. For the shared schedules (fixedRate, cron, at) they are
 * wall-clock instants that every process computes the same, which is what lets replicas agree
 * on a tick's identity. fixedDelay has no shared slots — its next due time follows the settling
 * of the previous run in this process — so its arithmetic is done on the monotonic time line.
 */

/** The four kinds of schedule. */
export type ScheduleKind = 'fixedRate' | 'fixedDelay' | 'cron' | 'at';

/** Due-time arithmetic of one schedule. */
export interface Schedule {
  readonly kind: ScheduleKind;
  /** For snapshots and logs: `'every 10s'`, `'cron 0 * * * * (Europe/Berlin)'`. */
  readonly description: string;
  /**
   * Whether the next due time follows the settling of the previous run (fixedDelay) instead of
   * a timetable. A chained schedule has no shared slots and no missed ticks.
   */
  readonly chained: boolean;
  /** The period of a fixed-period schedule, which makes catch-up O(1); `undefined` otherwise. */
  readonly periodMs: number | undefined;
  /** The first due time of a job added at `addedAt`, not before `addedAt + initialDelayMs`. */
  first(addedAt: number, initialDelayMs: number | undefined): number | null;
  /** The first due time strictly after `after`; `null` when the schedule has no more. */
  next(after: number): number | null;
  /** The latest due time at or before `at`; `null` when there is none (or the schedule is chained). */
  latest(at: number): number | null;
}
