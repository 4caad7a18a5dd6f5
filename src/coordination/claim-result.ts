/**
 * What a coordinator's claim resolved with, read strictly: a lease, `null`, or a boolean of a
 * version 1 coordinator. Anything else (`'OK'` as Redis `SET NX` answers, `1`, `undefined`) is
 * refused loudly instead of silently vetoing every tick.
 */
import { CoordinatorUnavailableError, InvalidClaimResultError, toError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import type { TickReason } from '../events.js';
import type { Lease } from './contract.js';

/** A claim this replica won (`lease` is `undefined` for a version 1 coordinator's `true`). */
export interface ClaimWon {
  readonly won: true;
  readonly lease: Lease | undefined;
  /**
   * When the claim was sent (monotonic): the lease's TTL counts from no later than this, since the
   * store granted it after receiving the request. `NaN` when unknown.
   */
  readonly sentAt: number;
}

/** A claim that did not win, and why. */
export interface ClaimRefused {
  readonly won: false;
  readonly reason: Extract<TickReason, 'not-claimed' | 'claimed-elsewhere' | 'claim-failed' | 'claim-timeout' | 'coordinator-unavailable'>;
  /** Why it failed, for `claim-failed`, `claim-timeout` and `coordinator-unavailable`. */
  readonly error?: Error;
}

export type ClaimVerdict = ClaimWon | ClaimRefused;

const NOT_CLAIMED: ClaimRefused = Object.freeze({ won: false, reason: 'not-claimed' });
const CLAIMED_ELSEWHERE: ClaimRefused = Object.freeze({ won: false, reason: 'claimed-elsewhere' });
/** A won claim without a lease: a version 1 coordinator's `true`, or a failed claim run anyway (`onCoordinatorError: 'run'`). */
export const WON_WITHOUT_LEASE: ClaimWon = Object.freeze({ won: true, lease: undefined, sentAt: NaN });

/** Whether `value` has the shape of a {@link Lease}. */
export function isLease(value: unknown): value is Lease {
  if (typeof value !== 'object' || value === null) return false;
  const lease = value as Partial<Record<keyof Lease, unknown>>;
  return typeof lease.token === 'number' && Number.isFinite(lease.token) && lease.expiresAt instanceof Date &&
    typeof lease.renew === 'function' && typeof lease.release === 'function' &&
    (lease.lost === undefined || lease.lost instanceof AbortSignal);
}

/** Reads a claim's resolved value; `sentAt` is when the claim was sent (monotonic). */
export function verdictOf(value: unknown, sentAt: number): ClaimVerdict {
  if (value === true) return WON_WITHOUT_LEASE;
  if (value === false) return NOT_CLAIMED;
  if (value === null) return CLAIMED_ELSEWHERE;
  if (isLease(value)) return { won: true, lease: value, sentAt };
  return { won: false, reason: 'claim-failed', error: new InvalidClaimResultError(value, describeValue(value)) };
}

/** Reads a claim's rejection: a store that cannot be reached is told apart from other failures. */
export function failureOf(error: unknown): ClaimRefused {
  const failure = toError(error);
  return { won: false, reason: failure instanceof CoordinatorUnavailableError ? 'coordinator-unavailable' : 'claim-failed', error: failure };
}
