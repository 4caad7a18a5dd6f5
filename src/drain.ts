/**
 * A wait for runs to settle, bounded by a deadline on the tick loop: what `stop()` and
 * `job.remove()` resolve through. It waits for the coordinator's answers too (the lease releases
 * of the runs that ended, claims that were abandoned), so that once it resolves nothing calls the
 * coordinator any more. It always settles — when the last run and call settle, at its deadline,
 * or when the scheduler finishes stopping — and a deadline that passed or was cleared leaves
 * nothing armed.
 */
import type { Engine } from './engine.js';
import type { Run } from './run/run.js';
import type { InFlightRun, PendingClaimView, StopReport } from './snapshot.js';
import type { PendingClaim } from './coordination/pending-claim.js';
import { QueueEntry } from './timer-queue.js';

export class Drain extends QueueEntry {
  readonly #engine: Engine;
  readonly #runs: readonly Run[];
  readonly #pending: Set<Run>;
  /** Coordinator calls still unanswered that this wait covers. */
  readonly #calls: () => number;
  #droppedTicks = 0;
  readonly #claimViews: PendingClaimView[] = [];
  /** Claims the stop or remove abandoned: waited for until answered or past their deadline. */
  readonly #claims: PendingClaim[] = [];
  readonly #startedAt: number;
  readonly #onFinish: (report: StopReport, stillRunning: readonly Run[]) => void;
  #resolve!: (report: StopReport) => void;
  #started = false;
  #finished = false;
  readonly promise: Promise<StopReport>;

  /**
   * Made before the stop or remove does anything that can call out (listeners, aborts), so that a
   * second call meanwhile finds it and shares its promise.
   *
   * @param runs the runs in flight when the stop or remove began (some may settle before the wait
   *   starts: a retry that was cancelled); `exclude` (the caller's own run, when a task stops its
   *   own scheduler) is reported but not waited for: it cannot settle while it waits for itself.
   * @param calls counts the coordinator calls still unanswered that the wait covers (the
   *   scheduler's, or the removed job's).
   */
  constructor(engine: Engine, runs: readonly Run[], exclude: Run | undefined, calls: () => number, onFinish: (report: StopReport, stillRunning: readonly Run[]) => void) {
    super();
    this.#engine = engine;
    this.#runs = runs;
    this.#calls = calls;
    this.#pending = new Set(runs.filter((run) => !run.settled && run !== exclude));
    this.#startedAt = engine.clock.now();
    this.#onFinish = onFinish;
    this.promise = new Promise<StopReport>((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** Ticks the stop or remove discarded, and the claims it abandoned, for the report. */
  account(droppedTicks: number, claims: readonly PendingClaim[]): void {
    this.#droppedTicks += droppedTicks;
    const now = this.#engine.clock.now();
    for (const claim of claims) {
      this.#claims.push(claim);
      this.#claimViews.push(claim.describe(now));
    }
  }

  /** Starts waiting, at most `timeoutMs` from the start (or less, if a later call tightened it). */
  start(timeoutMs: number): void {
    this.#started = true;
    if (this.#idle()) {
      this.finish();
      return;
    }
    const deadline = this.#startedAt + timeoutMs;
    if (!this.queued || deadline < this.due) this.#engine.loop.schedule(this, deadline);
  }

  /** Brings the deadline forward to `timeoutMs` from now, if that is earlier (an escalated stop). */
  tighten(timeoutMs: number): void {
    if (this.#finished) return;
    const deadline = this.#engine.clock.now() + timeoutMs;
    if (!this.queued || deadline < this.due) this.#engine.loop.schedule(this, deadline);
  }

  /** A run settled. */
  settle(run: Run): void {
    if (this.#pending.delete(run) && this.#started && this.#idle()) this.finish();
  }

  /** A coordinator call settled. */
  callSettled(): void {
    if (this.#started && this.#idle()) this.finish();
  }

  #idle(): boolean {
    return this.#pending.size === 0 && this.#calls() === 0;
  }

  /** The deadline passed. */
  fire(): void {
    this.finish();
  }

  /** Resolves with what settled and what is still running. Idempotent. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#engine.loop.cancel(this);
    const now = this.#engine.clock.now();
    const stillRunning = this.#runs.filter((run) => !run.settled);
    const views: InFlightRun[] = stillRunning.map((run) => run.describe(now));
    const unansweredCalls = this.#calls();
    for (const claim of this.#claims) claim.forget();
    const report: StopReport = {
      clean: stillRunning.length === 0 && unansweredCalls === 0,
      settled: this.#runs.length - stillRunning.length,
      stillRunning: views,
      droppedTicks: this.#droppedTicks,
      abortedClaims: this.#claimViews,
      unansweredCalls,
      durationMs: now - this.#startedAt,
    };
    this.#onFinish(report, stillRunning);
    this.#resolve(report);
  }

  get finished(): boolean {
    return this.#finished;
  }
}
