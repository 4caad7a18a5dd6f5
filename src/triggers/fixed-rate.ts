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
  readonly #result: { fire: number; missed: number; next: number | null } = { fire: 0, missed: 0, next: null };

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
    // One result object per trigger, rewritten each tick: this runs once per tick of every job.
    const result = this.#result;
    result.fire = fire;
    result.missed = missed;
    result.next = fire + periodMs;
    return result;
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
