import { formatDuration } from '../duration.js';
import type { Schedule } from './schedule.js';

/**
 * The next tick is due `delay` after the previous run settled, so the schedule cannot overlap
 * itself. Its due times depend on this process's runs: they are local, never shared slots. The
 * arithmetic is done on the monotonic time line (a delay is a duration, not a date).
 */
class FixedDelaySchedule implements Schedule {
  readonly kind = 'fixedDelay';
  readonly chained = true;
  readonly periodMs = undefined;
  readonly #delayMs: number;

  constructor(delayMs: number) {
    this.#delayMs = delayMs;
  }

  get description(): string {
    return `${formatDuration(this.#delayMs)} after each run`;
  }

  first(addedAt: number, initialDelayMs: number | undefined): number {
    return addedAt + (initialDelayMs ?? this.#delayMs);
  }

  /** The tick after a run that settled at `after`. */
  next(after: number): number {
    return after + this.#delayMs;
  }

  latest(): null {
    return null;
  }
}

/** A fixedDelay schedule of `delayMs` (whole ms >= 1). */
export function fixedDelaySchedule(delayMs: number): Schedule {
  return new FixedDelaySchedule(delayMs);
}
