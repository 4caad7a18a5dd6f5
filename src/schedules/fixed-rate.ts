import { formatDuration } from '../duration.js';
import { LIMITS } from '../options/defaults.js';
import type { Schedule } from './schedule.js';

/**
 * Tick k is due at the wall-clock slot `phase + k·period` counted from the Unix epoch, however
 * long runs take or however late a timer fires: due times come from the timetable, never from
 * when the last run happened, so there is no drift — and two processes with the same period
 * and phase compute the same slots, so their ticks share identities (BullMQ's `every` aligns
 * the same way). Slots are whole milliseconds because period and phase are.
 *
 * A class rather than an object of closures: every job holds one, and methods on the prototype
 * cost nothing per job.
 */
class FixedRateSchedule implements Schedule {
  readonly kind = 'fixedRate';
  readonly chained = false;
  readonly periodMs: number;
  readonly phaseMs: number;

  constructor(periodMs: number, phaseMs: number) {
    this.periodMs = periodMs;
    this.phaseMs = phaseMs;
  }

  /** Built when asked (snapshots), not per job. */
  get description(): string {
    return `every ${formatDuration(this.periodMs)}${this.phaseMs === 0 ? '' : ` at +${formatDuration(this.phaseMs)}`}`;
  }

  first(addedAt: number, initialDelayMs: number | undefined): number | null {
    if (initialDelayMs === undefined) return this.next(addedAt);
    const earliest = addedAt + initialDelayMs;
    const slot = this.latest(earliest);
    return slot === earliest ? slot : this.next(earliest);
  }

  next(after: number): number | null {
    const slot = this.phaseMs + (Math.floor((after - this.phaseMs) / this.periodMs) + 1) * this.periodMs;
    return slot <= LIMITS.maxEpochMs ? slot : null;
  }

  latest(at: number): number | null {
    return this.phaseMs + Math.floor((at - this.phaseMs) / this.periodMs) * this.periodMs;
  }
}

/**
 * The schedule made last: a schedule is immutable, so jobs added one after another with the same
 * period and phase (the common case: many alike jobs) share one object instead of one each.
 */
let lastMade: FixedRateSchedule | undefined;

/** A fixedRate schedule of `periodMs` (whole ms >= 1), with slots offset by `phaseMs` (0 <= phase < period). */
export function fixedRateSchedule(periodMs: number, phaseMs = 0): Schedule {
  if (lastMade !== undefined && lastMade.periodMs === periodMs && lastMade.phaseMs === phaseMs) return lastMade;
  return (lastMade = new FixedRateSchedule(periodMs, phaseMs));
}
