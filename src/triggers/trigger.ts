/**
 * A trigger computes due times and nothing else: pure functions of the times it is given,
 * tested with tables of fixed dates. Running, timers and state live in the job.
 */
import { parseDuration } from '../duration.js';
import { InvalidOptionError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { fixedRateTrigger } from './fixed-rate.js';
import { fixedDelayTrigger } from './fixed-delay.js';
import { cronTrigger } from './cron.js';
import { atTrigger } from './at.js';

/** The four kinds of schedule. */
export type ScheduleKind = 'fixedRate' | 'fixedDelay' | 'cron' | 'at';

/** Which of the clock's time lines the due times are on. */
export type TimeDomain = 'monotonic' | 'wall';

/** The outcome of waking up for a due tick, possibly late. */
export interface CatchUp {
  /** The due time of the tick to fire now: the latest one not after `now`. */
  readonly fire: number;
  /** Due ticks between the one scheduled and `fire`, which the stall made impossible to run on time. */
  readonly missed: number;
  /** The next due time after `fire`; `null` when the schedule has no more, or (fixedDelay) it is set when the run settles. */
  readonly next: number | null;
}

/** Due-time arithmetic of one schedule. */
export interface Trigger {
  readonly kind: ScheduleKind;
  readonly domain: TimeDomain;
  /** For snapshots and logs: `'every 10s'`, `'cron 0 * * * * (Europe/Berlin)'`. */
  readonly description: string;
  /** The first due time of a job added at `start`. */
  first(start: number, initialDelayMs: number | undefined): number | null;
  /** Called when the tick due at `due` is handled at `now` (>= due). The result may be reused by the next call: read it at once. */
  catchUp(due: number, now: number): CatchUp;
  /** The due time after a run of a fixedDelay job settled at `settledAt`; `null` for other kinds. */
  afterSettle(settledAt: number): number | null;
  /** The due time after `due` when nothing is late (for `nextRuns()`); `null` if unknown or none. */
  following(due: number): number | null;
  /**
   * The next due time once this trigger replaces another (`job.update()`): `lastDue` is the due
   * time of the job's last tick (or its add time), `now` the present. Never before `now`.
   */
  rebase(lastDue: number, now: number): number | null;
}

/** Builds the trigger of a schedule option, refusing bad values with a typed error. */
export function createTrigger(kind: ScheduleKind, value: unknown, timezone: string | undefined): Trigger {
  switch (kind) {
    case 'fixedRate':
      return fixedRateTrigger(parseDuration(value, 'fixedRate'));
    case 'fixedDelay':
      return fixedDelayTrigger(parseDuration(value, 'fixedDelay'));
    case 'cron':
      return cronTrigger(value, timezone);
    case 'at': {
      const ms = value instanceof Date ? value.getTime() : value;
      if (typeof ms !== 'number' || !Number.isFinite(ms)) {
        throw new InvalidOptionError('at', value, `Expected \`at\` to be a valid Date or epoch milliseconds, got ${describeValue(value)}`);
      }
      return atTrigger(ms);
    }
  }
}
