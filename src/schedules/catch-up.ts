import type { Schedule } from './schedule.js';

/** What to fire when a tick due at `due` is handled at `now`, possibly late. */
export interface CatchUp {
  /** The due time of the tick to fire now: the latest one not after `now`. */
  fire: number;
  /** Due times between the one scheduled and `fire`, which a stall made impossible to run on time. */
  missed: number;
  /** The next due time after `fire`; `null` when the schedule has no more. */
  next: number | null;
}

/** Beyond this many missed ticks in one stall, counting stops and the schedule jumps ahead. */
export const MAX_COUNTED_MISSES = 10_000;

// One result for every call: this runs once per tick of every job, and callers read it at once.
const RESULT: CatchUp = { fire: 0, missed: 0, next: null };

/**
 * The catch-up rule, derived from `schedule.next()` in this one place: after a stall one tick
 * fires — the latest one due — the ticks it overtook count as missed, and the schedule goes on
 * from there (no burst). A fixed period counts in O(1); other schedules walk `next()`, up to
 * {@link MAX_COUNTED_MISSES}, then jump to `latest(now)`. The result is reused by the next call.
 */
export function catchUp(schedule: Schedule, due: number, now: number): CatchUp {
  const periodMs = schedule.periodMs;
  if (periodMs !== undefined) {
    const missed = now > due ? Math.floor((now - due) / periodMs) : 0;
    RESULT.fire = due + missed * periodMs;
    RESULT.missed = missed;
    RESULT.next = schedule.next(RESULT.fire);
    return RESULT;
  }
  let fire = due;
  let missed = 0;
  let next = schedule.next(due);
  while (next !== null && next <= now) {
    if (missed === MAX_COUNTED_MISSES) {
      fire = schedule.latest(now) ?? next;
      next = schedule.next(fire);
      break;
    }
    fire = next;
    missed += 1;
    next = schedule.next(next);
  }
  RESULT.fire = fire;
  RESULT.missed = missed;
  RESULT.next = next;
  return RESULT;
}
