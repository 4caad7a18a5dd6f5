/**
 * The seam for running one process's jobs across replicas: just before a run starts, the
 * scheduler asks the coordinator to claim the tick. A tick has a stable identity — job name
 * and due time — so replicas racing for the same tick collide on the same key instead of
 * running it twice.
 */

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

/**
 * Decides whether this process runs a tick. Return (or resolve) `false` to veto: the tick is
 * counted as skipped with reason `'not-claimed'`. The job's slot is held while the claim is
 * pending, so a slow claim cannot let runs overlap. A claim that throws skips the tick with
 * reason `'claim-failed'` and is logged.
 */
export interface TickCoordinator {
  claim(tick: TickIdentity): boolean | Promise<boolean>;
}
