import { formatDuration } from '../duration.js';
import type { CatchUp, Trigger } from './trigger.js';

/** The next tick is due `delay` after the previous run settled, so the schedule cannot overlap itself. */
class FixedDelayTrigger implements Trigger {
  readonly kind = 'fixedDelay';
  readonly domain = 'monotonic';
  readonly #delayMs: number;

  constructor(delayMs: number) {
    this.#delayMs = delayMs;
  }

  get description(): string {
    return `${formatDuration(this.#delayMs)} after each run`;
  }

  first(start: number, initialDelayMs: number | undefined): number {
    return Math.ceil(start + (initialDelayMs ?? this.#delayMs));
  }

  catchUp(due: number): CatchUp {
    return { fire: due, missed: 0, next: null };
  }

  afterSettle(settledAt: number): number {
    return Math.ceil(settledAt + this.#delayMs);
  }

  following(): null {
    return null;
  }

  rebase(lastDue: number, now: number): number {
    return Math.ceil(Math.max(lastDue + this.#delayMs, now));
  }
}

export function fixedDelayTrigger(delayMs: number): Trigger {
  return new FixedDelayTrigger(delayMs);
}
