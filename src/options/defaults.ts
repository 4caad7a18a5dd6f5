/**
 * Every default of tickguard's options, in one place: validation applies these, and the TSDoc
 * of each option quotes the entry it falls back to.
 */
export const DEFAULTS = Object.freeze({
  /** Runs of a job in flight at once. */
  maxConcurrency: 1,
  /** What a tick does when every slot is busy. */
  overlap: 'skip',
  /** Bound of the queue under `overlap: 'buffer-all'`. */
  maxBuffered: 100,
  /** Tick once right after `add()`. */
  runOnStart: false,
  /** Random delay added to each scheduled start, in ms. */
  jitterMs: 0,
  /** fixedRate slots are `phaseMs + k·period` from the Unix epoch. */
  phaseMs: 0,
  /** Started runs after which a job is done. */
  maxRuns: Infinity,
  /** Failed runs in a row after which a job pauses itself. */
  maxConsecutiveFailures: Infinity,
  /** `stuckAfter` defaults to `timeout` plus this much, in ms. */
  stuckAfterGraceMs: 1_000,
  /** How long `stop()` and `remove()` wait for runs in flight, in ms. */
  stopTimeoutMs: 10_000,
  /** Lifetime of a coordination lease before it must be renewed, in ms. */
  leaseTtlMs: 30_000,
  /** How long a coordinator's `claim()` may take before the tick is skipped, in ms. */
  claimTimeoutMs: 5_000,
  /** What a coordinated tick does when its claim fails: fail closed. */
  onCoordinatorError: 'skip',
  /** Whether the scheduler's timer keeps the process alive. */
  unref: false,
} as const);

/**
 * Bounds of what the engine can honour. Due times are whole milliseconds on a `Date`'s range,
 * so a period must advance them by at least 1 ms and no span may leave that range.
 */
export const LIMITS = Object.freeze({
  /** Shortest fixedRate/fixedDelay period, in ms: a due time must move by a whole millisecond. */
  minPeriodMs: 1,
  /** Longest duration of any option, in ms: the range of a `Date` (±8.64e15 ms from the epoch). */
  maxDurationMs: 8.64e15,
  /** The latest instant a `Date` can hold, in epoch ms. */
  maxEpochMs: 8.64e15,
});
