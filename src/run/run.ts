/**
 * One run of a job: the attempts of one tick, with its abort signal, timeout, stuck check,
 * retries and (when coordinated) its lease. A run holds its job's slot from its first attempt's
 * start until the last attempt's promise settles — a timed-out attempt that ignores its signal
 * keeps the slot, and a retry starts only after the previous attempt settled, so attempts of one
 * run never overlap.
 *
 * The stages around an attempt are small parts, each in its own file, that the run composes:
 * the task call (`call-task.ts`), the attempt timeout and stuck check (`attempt-deadline.ts`),
 * the retry policy and its backoff (`retry.ts`, `backoff.ts`), and the lease kept
 * alive by the coordination stage (`coordination/lease-keeper.ts`), whose loss aborts the run.
 *
 * An abort requested before the task is called — from a listener of the run's own `tick` or
 * `run:start` event, say — is honoured: the task is not called and the run ends `aborted`.
 */
import type { Engine } from '../engine.js';
import type { RunOutcome } from '../events.js';
import type { Logger } from '../logger.js';
import { levelEnabled } from '../logger.js';
import type { JobConfig, JobPolicy } from '../options/job.js';
import type { InFlightRun } from '../snapshot.js';
import type { Tick } from '../tick.js';
import type { Lease, LeaseInfo } from '../coordination/contract.js';
import { RunAbortedError, RunTimeoutError, type AbortCause } from '../errors.js';
import { AttemptContext, type AttemptSource } from './context.js';
import { callTask, type TaskTarget } from './call-task.js';
import { AttemptDeadline } from './attempt-deadline.js';
import { RetryBackoff, type BackoffTarget } from './backoff.js';
import { backoffMs, shouldRetry } from './retry.js';

/** What a run needs from its job's executor. */
export interface RunHost {
  readonly engine: Engine;
  /** False once the scheduler is stopping or the job was removed: no attempt starts then. */
  readonly accepting: boolean;
  /** Why no attempt may start now, when `accepting` is false. */
  readonly refusal: Extract<AbortCause, 'stop' | 'remove'>;
  /** The job's logger. */
  logger(): Logger;
  /** The run ended; its outcome is on it. */
  runEnded(run: Run): void;
}

/** The attempts of one tick. */
export class Run implements AttemptSource, TaskTarget, BackoffTarget {
  readonly tick: Tick;
  readonly #host: RunHost;
  /** The config in force when the run started: an update applies to the next run, not this one. */
  readonly #config: JobConfig;
  readonly #policy: JobPolicy;
  readonly #lease: Lease | undefined;
  #leaseInfo: LeaseInfo | undefined;
  #attempt = 0;
  /** The current attempt's context; dropped when the attempt settles. */
  #ctx: AttemptContext | undefined;
  /** Who aborted the run (not a timeout, which ends one attempt). */
  #abortCause: AbortCause | undefined;
  #timedOut = false;
  #settled = false;
  #stuck = false;
  #startedAt = 0;
  #attemptStartedAt = 0;
  #endedAt = 0;
  #outcome: RunOutcome | undefined;
  #error: Error | undefined;
  #timeout: AttemptDeadline | undefined;
  #stuckWatch: AttemptDeadline | undefined;
  #backoff: RetryBackoff | undefined;
  /** The failure a pending retry would follow; the run's outcome if the retry never happens. */
  #pendingFailure: { outcome: RunOutcome; error: Error } | undefined;
  #logger: Logger | undefined;

  constructor(host: RunHost, config: JobConfig, tick: Tick, lease: Lease | undefined) {
    this.#host = host;
    this.#config = config;
    this.#policy = config.policy;
    this.tick = tick;
    this.#lease = lease;
  }

  // ─── what the attempt context reads ────────────────────────────────────────────────
  get jobName(): string {
    return this.tick.jobName;
  }
  get tickSeq(): number {
    return this.tick.seq;
  }
  get tickId(): string {
    return this.tick.tickId;
  }
  get scheduledAt(): Date {
    return this.tick.scheduledAt;
  }
  get manual(): boolean {
    return this.tick.manual;
  }
  get lease(): LeaseInfo | undefined {
    const lease = this.#lease;
    if (lease === undefined) return undefined;
    // A read-only view: the task fences with the token; renewing and releasing stay the engine's.
    return (this.#leaseInfo ??= { get token() { return lease.token; }, get expiresAt() { return lease.expiresAt; } });
  }

  /** This run's child logger, bound to job, tick and attempt. */
  logger(): Logger {
    return (this.#logger ??= this.#host.logger().child({
      tick: this.tick.seq,
      tickId: this.tick.tickId,
      scheduledAt: this.tick.scheduledAt.toISOString(),
      attempt: this.#attempt,
    }));
  }

  // ─── state, read by the executor and snapshots ─────────────────────────────────────
  get settled(): boolean {
    return this.#settled;
  }
  get stuck(): boolean {
    return this.#stuck;
  }
  get abortCause(): AbortCause | undefined {
    return this.#abortCause ?? (this.#timedOut ? 'timeout' : undefined);
  }
  /** Whether someone aborted the run (a timeout does not count: it ends one attempt). */
  get aborted(): boolean {
    return this.#abortCause !== undefined;
  }
  get startedAt(): number {
    return this.#startedAt;
  }
  get endedAt(): number {
    return this.#endedAt;
  }
  get attempts(): number {
    return this.#attempt;
  }
  get outcome(): RunOutcome | undefined {
    return this.#outcome;
  }
  get error(): Error | undefined {
    return this.#error;
  }
  /** The lease the run holds, for the coordination stage. */
  get heldLease(): Lease | undefined {
    return this.#lease;
  }

  // ─── lifecycle ──────────────────────────────────────────────────────────────────────

  /** Starts the first attempt. */
  start(): void {
    this.#startedAt = this.#host.engine.clock.now();
    this.#beginAttempt(this.#startedAt);
  }

  /** Aborts the run for `cause`: its signal fires, and no retry follows. Idempotent. */
  abort(cause: Exclude<AbortCause, 'timeout'>): void {
    if (this.#settled || this.#abortCause !== undefined) return;
    this.#abortCause = cause;
    const reason = new RunAbortedError(this.tick.jobName, cause);
    if (this.#backoff !== undefined && this.#backoff.heapIndex >= 0) {
      // Between attempts nothing is running: the run ends now.
      this.#host.engine.loop.cancel(this.#backoff);
      this.#finish('aborted', reason);
      return;
    }
    this.#ctx?.abort(reason);
  }

  /**
   * Ends a run that is waiting to retry, with its last failure: no retry starts once the
   * scheduler stops. A run in the middle of an attempt is left alone.
   */
  endRetryWait(): void {
    const failure = this.#pendingFailure;
    if (failure === undefined || this.#backoff === undefined || this.#backoff.heapIndex < 0) return;
    this.#host.engine.loop.cancel(this.#backoff);
    this.#pendingFailure = undefined;
    this.#finish(failure.outcome, failure.error);
  }

  /**
   * Nobody waits for this run any more (a stop or remove timed out on it): it keeps no timer of
   * the scheduler armed. It is still accounted for when it settles.
   */
  abandon(): void {
    const loop = this.#host.engine.loop;
    this.#timeout?.disarm(loop);
    this.#stuckWatch?.disarm(loop);
  }

  /** A view for snapshots and stop reports. */
  describe(now: number): InFlightRun {
    return {
      job: this.tick.jobName,
      tick: this.tick.seq,
      tickId: this.tick.tickId,
      scheduledAt: this.tick.scheduledAt,
      startedAt: new Date(this.#startedAt),
      attempt: this.#attempt,
      runningForMs: now - this.#startedAt,
      stuck: this.#stuck,
      abortCause: this.abortCause ?? null,
      leaseToken: this.#lease?.token ?? null,
    };
  }

  // ─── attempts ───────────────────────────────────────────────────────────────────────

  #beginAttempt(now: number): void {
    if (this.#refusesToStart()) return;
    this.#pendingFailure = undefined;
    const engine = this.#host.engine;
    const policy = this.#policy;
    this.#attempt += 1;
    const attempt = this.#attempt;
    this.#attemptStartedAt = now;
    this.#timedOut = false;
    this.#logger = undefined;
    const ctx = new AttemptContext(this, attempt, now);
    this.#ctx = ctx;

    if (policy.timeoutMs !== undefined) (this.#timeout ??= new AttemptDeadline(() => this.#attemptTimedOut())).arm(engine.loop, now, policy.timeoutMs);
    if (policy.stuckAfterMs !== undefined) (this.#stuckWatch ??= new AttemptDeadline((at) => this.#attemptStuck(at))).arm(engine.loop, now, policy.stuckAfterMs);
    const events = engine.events;
    if (events.has('run:start')) {
      events.emit('run:start', {
        job: this.tick.jobName, tick: this.tick.seq, tickId: this.tick.tickId, scheduledAt: this.tick.scheduledAt,
        manual: this.tick.manual, attempt, startedAt: new Date(now), latenessMs: now - this.tick.queueDue,
      });
    }
    if (levelEnabled(engine.log, 'debug')) this.logger().debug({ latenessMs: now - this.tick.queueDue }, 'run started');
    // A listener above may have stopped the scheduler, removed the job or aborted this run.
    if (this.#refusesToStart()) return;

    const outer = engine.bodyRun;
    engine.bodyRun = this;
    try {
      callTask(this.#config.run, ctx, this, attempt);
    } finally {
      engine.bodyRun = outer;
    }
  }

  /** Ends the run without calling the task when it was aborted, or may no longer start, before its attempt. */
  #refusesToStart(): boolean {
    const host = this.#host;
    if (this.#abortCause === undefined && host.accepting) return false;
    let reason: RunAbortedError | undefined;
    if (this.#abortCause === undefined) {
      this.#abortCause = host.refusal;
      const what = host.refusal === 'stop' ? 'the scheduler is stopping' : 'the job was removed';
      reason = new RunAbortedError(this.tick.jobName, host.refusal, `Run of job ${JSON.stringify(this.tick.jobName)} was not started: ${what}`);
    }
    this.#disarmAttempt();
    this.#ctx = undefined;
    const failure = this.#pendingFailure;
    this.#pendingFailure = undefined;
    // A retry that may no longer start ends with the failure it would have retried.
    if (failure !== undefined) this.#finish(failure.outcome, failure.error);
    else this.#finish('aborted', reason ?? new RunAbortedError(this.tick.jobName, this.#abortCause));
    return true;
  }

  #attemptTimedOut(): void {
    this.#timedOut = true;
    this.#ctx?.abort(new RunTimeoutError(this.tick.jobName, this.#policy.timeoutMs ?? 0));
  }

  #attemptStuck(now: number): void {
    this.#stuck = true;
    const runningForMs = now - this.#attemptStartedAt;
    const engine = this.#host.engine;
    if (engine.events.has('run:stuck')) {
      engine.events.emit('run:stuck', {
        job: this.tick.jobName, tick: this.tick.seq, tickId: this.tick.tickId, scheduledAt: this.tick.scheduledAt,
        manual: this.tick.manual, attempt: this.#attempt, startedAt: new Date(this.#attemptStartedAt), runningForMs,
      });
    }
    if (levelEnabled(engine.log, 'warn')) {
      this.logger().warn({ runningForMs, abortCause: this.abortCause ?? null }, 'run is stuck: still in flight past stuckAfter');
    }
  }

  #disarmAttempt(): void {
    const loop = this.#host.engine.loop;
    this.#timeout?.disarm(loop);
    this.#stuckWatch?.disarm(loop);
    this.#stuck = false;
  }

  taskSettled(attempt: number, error: Error | undefined): void {
    if (this.#settled || attempt !== this.#attempt) return;
    this.#disarmAttempt();
    const ctx = this.#ctx;
    this.#ctx = undefined;

    let outcome: RunOutcome;
    if (this.#abortCause !== undefined) outcome = 'aborted';
    else if (this.#timedOut) outcome = 'timeout';
    else outcome = error === undefined ? 'success' : 'error';
    if (outcome === 'aborted') {
      this.#finish('aborted', error ?? ctx?.abortReason);
      return;
    }
    const failure = outcome === 'timeout' ? (error ?? new RunTimeoutError(this.tick.jobName, this.#policy.timeoutMs ?? 0)) : error;
    if (failure !== undefined && this.#host.accepting && shouldRetry(this.#policy.retry, failure, attempt, () => this.logger())) {
      this.#pendingFailure = { outcome, error: failure };
      this.#scheduleRetry(failure);
      return;
    }
    this.#finish(outcome, failure);
  }

  #scheduleRetry(error: Error): void {
    const engine = this.#host.engine;
    const delayMs = backoffMs(this.#policy.retry, this.#attempt);
    if (engine.events.has('run:retry')) {
      engine.events.emit('run:retry', {
        job: this.tick.jobName, tick: this.tick.seq, tickId: this.tick.tickId, scheduledAt: this.tick.scheduledAt,
        manual: this.tick.manual, attempt: this.#attempt, error, delayMs,
      });
    }
    if (levelEnabled(engine.log, 'warn')) this.logger().warn({ err: error, delayMs }, 'attempt failed; retrying');
    // A listener of run:retry may have stopped or aborted the run already.
    if (this.#settled || this.#pendingFailure === undefined) return;
    engine.loop.schedule((this.#backoff ??= new RetryBackoff(this)), engine.clock.now() + delayMs);
  }

  backoffElapsed(now: number): void {
    if (this.#settled) return;
    this.#beginAttempt(now);
  }

  #finish(outcome: RunOutcome, error: Error | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#outcome = outcome;
    this.#error = error;
    this.#endedAt = this.#host.engine.clock.now();
    this.#ctx = undefined;
    this.#host.runEnded(this);
  }
}
