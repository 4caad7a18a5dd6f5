/**
 * The event unions of `src/events.ts` as runtime tables, for checking what the engine emits.
 * `test/types/public-types.test.ts` proves each table equal to its type, so a union that
 * drifts from these tables — or these from the union — fails the type check.
 */
import type { ClaimEvent, JobStateEvent, LeaseEvent, RunEndEvent, TickEvent } from '../../src/index.js';

export const SKIP_REASONS = ['busy', 'paused', 'done', 'not-claimed', 'claimed-elsewhere', 'claim-failed', 'claim-timeout', 'coordinator-unavailable'] as const;
export const DROP_REASONS = ['buffer-full', 'replaced', 'done', 'stopped', 'removed'] as const;
export const CLAIM_REFUSALS = ['not-claimed', 'claimed-elsewhere', 'claim-failed', 'claim-timeout', 'coordinator-unavailable'] as const;
/** Who may have ended a run of each outcome (success: nobody). */
export const ABORT_CAUSES_BY_OUTCOME = {
  error: ['stop', 'remove', 'lease-lost'],
  timeout: ['timeout', 'stop', 'remove', 'lease-lost'],
  aborted: ['cancel-other', 'stop', 'remove', 'lease-lost'],
} as const;

/** The reasons a job may move into each state for. */
export const STATE_REASONS = {
  active: ['added', 'resumed', 'updated'],
  paused: ['manual', 'failures'],
  done: ['max-runs', 'schedule-ended'],
  removed: ['removed', 'stopped'],
} as const;

const has = (list: readonly string[], value: unknown): boolean => typeof value === 'string' && list.includes(value);

/** What is wrong with `e` as a member of the TickEvent union, or undefined. */
export function tickEventProblem(e: TickEvent): string | undefined {
  const raw = e as unknown as Record<string, unknown>;
  switch (raw.result) {
    case 'started':
    case 'buffered':
      if ('reason' in raw) return `${String(raw.result)} with a reason`;
      return raw.count === 1 ? undefined : `${String(raw.result)} with count ${String(raw.count)}`;
    case 'skipped':
      if (!has(SKIP_REASONS, raw.reason)) return `skipped with reason ${String(raw.reason)}`;
      return raw.count === 1 ? undefined : `skipped with count ${String(raw.count)}`;
    case 'dropped':
      if (!has(DROP_REASONS, raw.reason)) return `dropped with reason ${String(raw.reason)}`;
      return Number.isInteger(raw.count) && (raw.count as number) >= 1 ? undefined : `dropped with count ${String(raw.count)}`;
    case 'missed':
      if (raw.reason !== 'stalled') return `missed with reason ${String(raw.reason)}`;
      return Number.isInteger(raw.count) && (raw.count as number) >= 1 ? undefined : `missed with count ${String(raw.count)}`;
    default:
      return `unknown result ${String(raw.result)}`;
  }
}

/** What is wrong with `e` as a member of the RunEndEvent union, or undefined. */
export function runEndEventProblem(e: RunEndEvent): string | undefined {
  const raw = e as unknown as Record<string, unknown>;
  const outcome = raw.outcome;
  if (outcome === 'success') {
    if ('error' in raw || 'abortCause' in raw) return 'success with an error or abortCause';
    return undefined;
  }
  if (outcome !== 'error' && outcome !== 'timeout' && outcome !== 'aborted') return `unknown outcome ${String(outcome)}`;
  if (!(raw.error instanceof Error)) return `${outcome} without an error`;
  const causes: readonly string[] = ABORT_CAUSES_BY_OUTCOME[outcome];
  if (outcome === 'error') return raw.abortCause === undefined || has(causes, raw.abortCause) ? undefined : `error with abortCause ${String(raw.abortCause)}`;
  return has(causes, raw.abortCause) ? undefined : `${outcome} with abortCause ${String(raw.abortCause)}`;
}

/** What is wrong with `e` as a member of the ClaimEvent union, or undefined. */
export function claimEventProblem(e: ClaimEvent): string | undefined {
  const raw = e as unknown as Record<string, unknown>;
  if (raw.result === 'won') return raw.token === undefined || typeof raw.token === 'number' ? undefined : 'won with a token that is not a number';
  if (!has(CLAIM_REFUSALS, raw.result)) return `unknown claim result ${String(raw.result)}`;
  return 'token' in raw ? `${String(raw.result)} with a token` : undefined;
}

/** What is wrong with `e` as a member of the LeaseEvent union, or undefined. */
export function leaseEventProblem(e: LeaseEvent): string | undefined {
  const raw = e as unknown as Record<string, unknown>;
  if (raw.result === 'renewed') return 'why' in raw ? 'renewed with a why' : undefined;
  if (raw.result !== 'renewal-failed' && raw.result !== 'lost') return `unknown lease result ${String(raw.result)}`;
  return typeof raw.why === 'string' ? undefined : `${raw.result} without a why`;
}

/** What is wrong with `e` as a member of the JobStateEvent union, or undefined. */
export function jobStateEventProblem(e: JobStateEvent): string | undefined {
  const raw = e as unknown as Record<string, unknown>;
  const to = raw.to;
  if (to !== 'active' && to !== 'paused' && to !== 'done' && to !== 'removed') return `unknown state ${String(to)}`;
  if (!has(STATE_REASONS[to], raw.reason)) return `${to} for reason ${String(raw.reason)}`;
  if (raw.from === null && !(to === 'active' && raw.reason === 'added')) return `from null to ${to} for ${String(raw.reason)}`;
  if (raw.reason === 'added' && raw.from !== null) return `added from ${String(raw.from)}`;
  return undefined;
}
