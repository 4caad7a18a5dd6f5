/**
 * The coordination stage of one job: the single place where a run meets the coordinator. The
 * executor asks it to claim a tick before the run starts, and tells it when a run starts and
 * ends; the stage sends claims, keeps leases alive and gives them back.
 *
 *  - per-tick: each tick's slot is claimed; the run gets the lease (a fencing token) and
 *    releases it when it ends — the coordinator keeps the tick's record.
 *  - exclusive (fixedRate, cron, at): each tick's slot and the job's lease are claimed together;
 *    the lease is renewed while the run is in flight and released when it ends.
 *  - exclusive (fixedDelay): leadership. The first claim that wins makes this replica the job's
 *    leader: it keeps the lease between runs, renewed in the background, and runs the chain
 *    without asking again; the other replicas' ticks are skipped as `claimed-elsewhere` until the
 *    leader lets go (stop, remove) or dies and its lease expires.
 * A lease that is lost aborts the run holding it (`'lease-lost'`).
 */
import type { Engine } from '../engine.js';
import type { Tick } from '../tick.js';
import type { Run } from '../run/run.js';
import type { RunOutcome } from '../events.js';
import type { JobConfig } from '../options/job.js';
import type { ClaimRequest, Lease } from './contract.js';
import type { ClaimVerdict } from './claim-result.js';
import { LeaseKeeper } from './lease-keeper.js';
import { PendingClaim, releaseLease } from './pending-claim.js';

/** What the stage needs of its job. */
export interface StageHost {
  readonly engine: Engine;
  readonly name: string;
  readonly config: JobConfig;
  /** A lease this job holds was lost: the runs holding it must stop. */
  leaseLost(lease: Lease, why: string): void;
}

/** Receives the verdict of a claim the stage sent, and how long it took (NaN when no claim was sent). */
export type VerdictHandler = (tick: Tick, verdict: ClaimVerdict, durationMs: number) => void;

export class CoordinationStage {
  readonly #host: StageHost;
  readonly #onVerdict: VerdictHandler;
  readonly #pending = new Set<PendingClaim>();
  /** Leadership of a fixedDelay job: the lease held across runs. */
  #leader: LeaseKeeper | undefined;
  /** The lease kept alive for the exclusive run in flight (one per job: the lease excludes a second). */
  #runKeeper: LeaseKeeper | undefined;

  constructor(host: StageHost, onVerdict: VerdictHandler) {
    this.#host = host;
    this.#onVerdict = onVerdict;
  }

  /** Tells listeners what became of a kept lease. */
  readonly #report = (lease: Lease, result: 'renewed' | 'renewal-failed' | 'lost', why: string | undefined): void => {
    const events = this.#host.engine.events;
    if (events.has('lease')) events.emit('lease', { job: this.#host.name, token: lease.token, result, ...(why === undefined ? {} : { why }) });
  };

  /** Claims pending at the coordinator. */
  get pending(): number {
    return this.#pending.size;
  }

  #leadership(): boolean {
    const { policy: { coordination }, schedule } = this.#host.config;
    return coordination === 'exclusive' && schedule.chained;
  }

  /** Claims `tick`; the verdict goes to the handler, possibly synchronously. */
  claim(tick: Tick): void {
    const host = this.#host;
    const leadership = this.#leadership();
    const leader = this.#leader;
    // A leader's lease is checked first: after an event-loop stall the chain's tick can come before the keeper's deadline.
    if (leadership && leader !== undefined && leader.holds(host.engine.clock.now())) {
      this.#onVerdict(tick, { won: true, lease: leader.lease, sentAt: NaN }, NaN);
      return;
    }
    const mode = host.config.policy.coordination === 'exclusive' ? 'exclusive' : 'per-tick';
    const request: ClaimRequest = {
      jobName: host.name,
      scheduledAt: tick.scheduledAt,
      tickId: tick.tickId,
      manual: tick.manual,
      mode,
      slot: tick.shared && !leadership ? tick.due : null,
    };
    const sentAt = host.engine.clock.now();
    const claim = new PendingClaim(host.engine, tick, (settled, verdict) => {
      this.#pending.delete(settled);
      if (leadership && verdict.won && verdict.lease !== undefined) this.#lead(verdict.lease, verdict.sentAt);
      this.#onVerdict(tick, verdict, host.engine.clock.now() - sentAt);
    });
    this.#pending.add(claim);
    const policy = host.config.policy;
    // A tick record must last at least as long as a catch-up could look back for it.
    claim.send(request, Math.max(policy.leaseTtlMs, policy.catchUpWindowMs ?? 0));
  }

  /** A run starts holding what its claim (sent at `sentAt`, monotonic) won. */
  runStarted(run: Run, sentAt: number): void {
    const lease = run.heldLease;
    if (lease === undefined || this.#host.config.policy.coordination !== 'exclusive' || this.#leader?.lease === lease) return;
    const engine = this.#host.engine;
    const keeper = new LeaseKeeper(engine, this.#host.name, lease, this.#host.config.policy.leaseTtlMs, sentAt, (why) => {
      if (this.#runKeeper === keeper) this.#runKeeper = undefined;
      this.#host.leaseLost(lease, why);
    }, this.#report);
    this.#runKeeper = keeper;
    try {
      keeper.start();
    } catch (error) {
      // A coordinator's lease that cannot be watched is as good as lost: the run must not go on holding it.
      this.#host.engine.contained(error, 'a coordination lease could not be watched; treating it as lost', { token: lease.token });
      keeper.stop();
      this.#runKeeper = undefined;
      this.#host.leaseLost(lease, 'its lost signal could not be watched');
    }
  }

  /**
   * Whether `lease` (held by a run about to start another attempt) can still be trusted now; one
   * that ran out while the event loop stalled is declared lost, which aborts the runs holding it.
   * A per-tick lease is not kept alive, and holds for as long as its run.
   */
  holds(lease: Lease): boolean {
    const keeper = this.#runKeeper?.lease === lease ? this.#runKeeper : this.#leader?.lease === lease ? this.#leader : undefined;
    return keeper === undefined || keeper.holds(this.#host.engine.clock.now());
  }

  /** A run ended with `outcome`: its lease is given back (a leader keeps the job's lease). */
  runEnded(run: Run, outcome: RunOutcome): void {
    const lease = run.heldLease;
    if (lease === undefined) return;
    if (this.#leader?.lease === lease) {
      // Leadership outlives runs, unless an update made the job something else than a fixedDelay
      // leader, or the scheduler is stopping (its wait covers the release).
      if (!this.#leadership() || !this.#host.engine.accepting) this.resign();
      return;
    }
    if (this.#runKeeper?.lease === lease) {
      this.#runKeeper.stop();
      this.#runKeeper = undefined;
    }
    releaseLease(this.#host.engine, this.#host.name, lease, outcome);
  }

  /**
   * The job's config changed: a leader whose job is no longer a coordinated fixedDelay one gives
   * the lease up — at once, or when the run holding it ends.
   */
  configChanged(runsHoldingLeader: boolean): void {
    if (this.#leader !== undefined && !this.#leadership() && !runsHoldingLeader) this.resign();
  }

  /** The leader's lease, while this replica leads the job. */
  get leaderLease(): Lease | undefined {
    return this.#leader?.lease;
  }

  /** A won lease will not be used (the tick may not start after all); a leader keeps its own. */
  unused(lease: Lease): void {
    if (this.#leader?.lease !== lease) releaseLease(this.#host.engine, this.#host.name, lease, 'not-run');
  }

  /** Stop or remove: pending claims are abandoned (their signals abort). Returns them, for the drain. */
  abandonClaims(reason: Error): PendingClaim[] {
    const claims = [...this.#pending];
    this.#pending.clear();
    for (const claim of claims) claim.abandon(reason);
    return claims;
  }

  /** Gives up leadership: nothing of this job runs here any more. */
  resign(): void {
    const leader = this.#leader;
    if (leader === undefined) return;
    this.#leader = undefined;
    leader.stop();
    releaseLease(this.#host.engine, this.#host.name, leader.lease, 'not-run');
  }

  /** The scheduler is gone: stop renewing anything (leases of runs still going expire on their own). */
  close(): void {
    this.#runKeeper?.stop();
    this.#runKeeper = undefined;
    this.#leader?.stop();
  }

  #lead(lease: Lease, claimedAt: number): void {
    const engine = this.#host.engine;
    const keeper = new LeaseKeeper(engine, this.#host.name, lease, this.#host.config.policy.leaseTtlMs, claimedAt, (why) => {
      if (this.#leader === keeper) this.#leader = undefined;
      this.#host.leaseLost(lease, why);
    }, this.#report);
    this.#leader = keeper;
    keeper.start();
  }
}
