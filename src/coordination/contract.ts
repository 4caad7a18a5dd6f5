/**
 * The coordination contract, version 2: how one process's jobs run once per tick (or one at a
 * time) across replicas. Just before a run starts, the engine asks the scheduler's coordinator
 * to claim the tick; the coordinator answers from a store that every replica shares.
 *
 * A tick has a stable identity — job name and due slot — so replicas racing for the same tick
 * collide on the same key instead of running it twice. A claim that wins returns a {@link Lease}:
 * a fencing token that grows with every grant (the task passes it to its downstream writes so a
 * stale holder's writes can be refused), an expiry, and for exclusive runs a lease that the
 * engine renews in the background and whose loss aborts the run.
 *
 * Implementations must pass `tickguard/testing`'s conformance suite. The in-memory coordinator
 * (`createMemoryCoordinator`) is the reference.
 */
import type { RunOutcome } from '../events.js';
import type { Logger } from '../logger.js';

/**
 * How a job is coordinated across replicas.
 *  - `'per-tick'`: each tick runs once across replicas. The claim writes the tick's identity
 *    with a conditional write, and that record outlives the run. Runs of different ticks may
 *    overlap across replicas (each replica still keeps the job's own `maxConcurrency`).
 *  - `'exclusive'`: once per tick, and at most one run of the job across all replicas: the run
 *    holds a lease, renewed while it is in flight; losing it aborts the run (`'lease-lost'`).
 *    For fixedDelay jobs (no shared slots) it is leadership of the whole job: one replica holds
 *    the job's lease across runs and runs the chain; the others skip until it lets go or dies.
 *  - `'local'`: not coordinated: every replica runs every tick.
 */
export type CoordinationMode = 'per-tick' | 'exclusive' | 'local';

/** The stable identity of a tick. */
export interface TickIdentity {
  readonly jobName: string;
  /** The nominal due time of the tick (for a manual trigger: when it was requested). */
  readonly scheduledAt: Date;
  /** `${jobName}@${scheduledAt.toISOString()}`, the same in every replica (manual ticks get a local `#manual-N` suffix). */
  readonly tickId: string;
  /** Whether the tick came from `job.trigger()` rather than the schedule. */
  readonly manual: boolean;
}

/** What a coordinator is asked to claim. */
export interface ClaimRequest extends TickIdentity {
  /** `'per-tick'` or `'exclusive'` (see {@link CoordinationMode}). */
  readonly mode: 'per-tick' | 'exclusive';
  /**
   * The shared slot the tick stands for (its due time in epoch ms), which every replica computes
   * the same; `null` for a tick with no shared slot — a manual tick, a fixedDelay tick (leadership),
   * the runOnStart tick of a fixedDelay or `at` job: then no tick record is written, only the
   * job's lease is taken (exclusive).
   */
  readonly slot: number | null;
}

/** How a claim is bounded. */
export interface ClaimOptions {
  /** Aborts when the claim's deadline passes or the scheduler stops: give up and resolve `null` (or reject). */
  readonly signal: AbortSignal;
  /**
   * How long the lease must live without renewal (exclusive), and at least how long the tick
   * record must be kept (per-tick).
   */
  readonly ttlMs: number;
}

/** A won claim. */
export interface Lease {
  /**
   * The fencing token: strictly increasing per job across the cluster, drawn from the store.
   * Pass it with the task's writes so that the downstream can refuse a stale holder.
   */
  readonly token: number;
  /** When the lease expires unless renewed, as the store's clock sees it (converted to local wall time). */
  readonly expiresAt: Date;
  /** Aborts when the coordinator learns the lease is gone (expired, taken over, store lost it). */
  readonly lost?: AbortSignal;
  /**
   * Extends the lease by the claim's `ttlMs`. Resolves `true` when it still holds (and updates
   * `expiresAt`), `false` when it was lost; rejects when the store cannot be reached (the engine
   * retries until the lease would expire).
   */
  renew(): Promise<boolean>;
  /**
   * The run ended (`outcome`), or never started (`'not-run'`). An exclusive lease is freed for
   * the next tick; a per-tick record is kept — it must outlive the run, so that a replica whose
   * timer fires late cannot win the same tick again — and may note the outcome.
   */
  release(outcome: RunOutcome | 'not-run'): Promise<void>;
}

/**
 * What `claim()` resolves with: a {@link Lease} when this replica won, `null` when another
 * replica holds the tick or the lease (`skipped`, reason `'claimed-elsewhere'`). Version 1
 * coordinators return a boolean: `true` runs the tick without a lease, `false` skips it
 * (reason `'not-claimed'`). Anything else is refused loudly (reason `'claim-failed'`).
 */
export type ClaimResult = Lease | null | boolean;

/**
 * Decides whether this process runs a tick. The job's slot is held while the claim is pending,
 * so a slow claim cannot let runs overlap, and the claim is abandoned at its deadline. A claim
 * that throws or rejects skips the tick — reason `'coordinator-unavailable'` for a
 * `CoordinatorUnavailableError`, `'claim-failed'` otherwise — and is logged: coordination fails
 * closed.
 */
export interface Coordinator {
  claim(tick: ClaimRequest, options: ClaimOptions): ClaimResult | Promise<ClaimResult>;
  /** Optional: called once by each scheduler that uses the coordinator, with what it may report through. */
  attach?(context: CoordinatorContext): void;
  /** Optional: what the coordinator knows of its store, for `inspect()`, metrics and the dashboard. */
  status?(): CoordinatorStatus;
}

/** What a scheduler hands its coordinator. */
export interface CoordinatorContext {
  /** The scheduler's logger (guarded: its calls never throw). */
  readonly log: Logger;
}

/** A coordinator's view of its store. */
export interface CoordinatorStatus {
  /** What the store is: `'redis'`, `'postgres'`, `'memory'`. */
  readonly store: string;
  /** Whether the last command reached the store. */
  readonly reachable: boolean;
  /** The last failure to reach it, while unreachable. */
  readonly lastError: string | null;
  /** The store's clock minus this process's wall clock, as last measured (ms); `null` before the first measurement. */
  readonly skewMs: number | null;
  /** The skew the coordinator tolerates. */
  readonly skewBoundMs: number;
  /** Whether the measured skew is beyond the bound. */
  readonly skewExceeded: boolean;
}

/**
 * The name of the coordinator type before version 2 of the contract. A version 1 coordinator —
 * `claim(tick)` answering `true` or `false` — is still a valid {@link Coordinator}.
 * @deprecated Use {@link Coordinator}.
 */
export type TickCoordinator = Coordinator;

/** The view of a lease that a task gets as `ctx.lease`. */
export interface LeaseInfo {
  /** The fencing token: pass it to downstream writes. */
  readonly token: number;
  /** When the lease expires unless renewed. */
  readonly expiresAt: Date;
}
