import { formatDuration } from '../duration.js';
import type { Trigger } from './trigger.js';

/** The next tick is due `delay` after the previous run settled, so the schedule cannot overlap itself. */
export function fixedDelayTrigger(delayMs: number): Trigger {
  return {
    kind: 'fixedDelay',
    domain: 'monotonic',
    description: `${formatDuration(delayMs)} after each run`,
    first: (start, initialDelayMs) => start + (initialDelayMs ?? delayMs),
    catchUp: (due) => ({ fire: due, missed: 0, next: null }),
    afterSettle: (settledAt) => settledAt + delayMs,
    following: () => null,
    rebase: (lastDue, now) => Math.max(lastDue + delayMs, now),
  };
}
