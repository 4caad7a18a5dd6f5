import type { Trigger } from './trigger.js';

/** One tick at a wall-clock instant. An instant already past when the job is added fires at once. */
export function atTrigger(atMs: number): Trigger {
  return {
    kind: 'at',
    domain: 'wall',
    description: `at ${new Date(atMs).toISOString()}`,
    first: () => atMs,
    catchUp: (due) => ({ fire: due, missed: 0, next: null }),
    afterSettle: () => null,
    following: () => null,
    rebase: (_lastDue, now) => Math.max(atMs, now),
  };
}
