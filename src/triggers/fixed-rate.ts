import { formatDuration } from '../duration.js';
import type { CatchUp, Trigger } from './trigger.js';

/**
 * Tick k is due at `first + k·period`, however long runs take or late the timer fires: due
 * times are derived from the schedule, never from when the last run happened, so there is no drift.
 *
 * A class rather than an object of closures: every job holds one, and methods on the prototype
 * cost nothing per job, where five closures and their context cost ~350 B.
 */
class FixedRateTrigger implements Trigger {
  readonly kind = 'fixedRate';
  readonly domain = 'monotonic';
  readonly #periodMs: number;

  constructor(periodMs: number) {
    this.#periodMs = periodMs;
  }

  /** Built when asked (snapshots), not per job. */
  get description(): string {
    return `every ${formatDuration(this.#periodMs)}`;
  }

  /** Due times are whole milliseconds: a Date (ctx.scheduledAt) holds them exactly, and Node's timers count in ms anyway. */
  first(start: number, initialDelayMs: number | undefined): number {
    return Math.ceil(start + (initialDelayMs ?? this.#periodMs));
  }

  catchUp(due: number, now: number): CatchUp {
    const periodMs = this.#periodMs;
    const missed = now > due ? Math.floor((now - due) / periodMs) : 0;
    const fire = due + missed * periodMs;
    return { fire, missed, next: fire + periodMs };
  }

  afterSettle(): null {
    return null;
  }

  following(due: number): number {
    return due + this.#periodMs;
  }

  rebase(lastDue: number, now: number): number {
    return Math.ceil(Math.max(lastDue + this.#periodMs, now));
  }
}

export function fixedRateTrigger(periodMs: number): Trigger {
  return new FixedRateTrigger(periodMs);
}
