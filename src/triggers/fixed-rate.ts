import { formatDuration } from '../duration.js';
import type { Trigger } from './trigger.js';

/**
 * Tick k is due at `first + k·period`, however long runs take or late the timer fires: due
 * times are derived from the schedule, never from when the last run happened, so there is no drift.
 */
export function fixedRateTrigger(periodMs: number): Trigger {
  return {
    kind: 'fixedRate',
    domain: 'monotonic',
    description: `every ${formatDuration(periodMs)}`,
    first: (start, initialDelayMs) => start + (initialDelayMs ?? periodMs),
    catchUp(due, now) {
      const missed = now > due ? Math.floor((now - due) / periodMs) : 0;
      const fire = due + missed * periodMs;
      return { fire, missed, next: fire + periodMs };
    },
    afterSettle: () => null,
    following: (due) => due + periodMs,
    rebase: (lastDue, now) => Math.max(lastDue + periodMs, now),
  };
}
