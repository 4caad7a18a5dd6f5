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
 *
 * A run *is* its tick: the executor makes every tick as a `Run`, and a tick that gets to run is
 * launched in place. One object per run instead of two — a tick that does not run (skipped,
 * dropped) simply never launches.
 */
import type { Engine } from '../engine.js';
import type { RunOutcome, RunStartEvent, Writable } from '../events.js';
import type { Logger } from '../logger.js';
import { levelEnabled } from '../logger.js';
import type { JobConfig } from '../options/job.js';
import type { InFlightRun } from '../snapshot.js';
import { isoOf, Tick } from '../tick.js';
import type { Lease, LeaseInfo } from '../coordination/contract.js';
import { RunAbortedError, RunTimeoutError, type AbortCause } from '../errors.js';
import { abortAttempt, abortReasonOf, AttemptContext, type AttemptSource } from './context.js';
import { callTask, type TaskTarget } from './call-task.js';
import { AttemptDeadline } from './attempt-deadline.js';
import { RetryBackoff, type BackoffTarget } from './backoff.js';
import { shouldRetry } from './retry.js';

/** What a run needs from its job's executor. */
export interface RunHost {
  readonly engine: Engine;
  /** False once the scheduler is stopping or the job was removed: no attempt starts then. */
  readonly accepting: boolean;
  /** Why no attempt may start now, when `accepting` is false. */
  readonly refusal: Extract<AbortCause, 'stop' | 'remove'>;
  /** The job's logger. */
  logger(): Logger;
  /** The run ended: its outcome, its last error, and when (monotonic). */
  runEnded(run: Run, outcome: RunOutcome, error: Error | undefined, endedAt: number): void;
  /** Whether `lease` can still be trusted before a retry starts under it (a lost one aborts the run). */
  leaseHolds(lease: Lease): boolean;
}

// Flags of a run, in one small integer.
const TIMED_OUT = 1;
const SETTLED = 2;
const STUCK = 4;

/**
 * What only some runs need — a timeout, a stuck check, a retry, a logger, a lease view — kept
 * apart so that a plain run (no timeout, no retry, nothing logged) allocates none of it.
 */
interface RunExtras {
  timeout: AttemptDeadline | undefined;
  stuckWatch: AttemptDeadline | undefined;
  backoff: RetryBackoff | undefined;
  /** The failure a pending retry would follow; the run's outcome if the retry never happens. */
  pendingFailure: { outcome: RunOutcome; error: Error } | undefined;
  logger: Logger | undefined;
  leaseInfo: LeaseInfo | undefined;
  /** When the current attempt started (monotonic), for the stuck report. */
  attemptStartedAt: number;
}

/** The attempts of one tick. */
export class Run extends Tick implements AttemptSource, TaskTarget, BackoffTarget {
  readonly #host: RunHost;
  /** The config in force when the run started (set again at launch): an update applies to the next run, not this one. */
  #config: JobConfig;
  #lease: Lease | undefined = undefined;
  #attempt = 0;
  #flags = 0;
  /** The current attempt's context; dropped when the attempt settles. */
  #ctx: AttemptContext | undefined;
  /** Who aborted the run (not a timeout, which ends one attempt). */
  #abortCause: AbortCause | undefined;
  #startedAt = 0;
  #extras: RunExtras | undefined;

  /** A tick of the job `host` runs (see {@link Tick} for the rest); it runs only once {@link launch}ed. */
  constructor(host: RunHost, config: JobConfig, jobName: string, seq: number, due: number, manual: boolean, monoDue: number, shared: boolean) {
    super(jobName, seq, due, manual, monoDue, shared);
    this.#host = host;
    this.#config = config;
  }

  /** The run of `tick` under `config`, holding `lease` when coordinated: the tick itself when it was made as a run. */
  static launch(tick: Tick, host: RunHost, config: JobConfig, lease: Lease | undefined): Run {
    const run = tick instanceof Run ? tick : new Run(host, config, tick.jobName, tick.seq, tick.due, tick.manual, tick.monoDue, tick.shared);
    run.#config = config;
    run.#lease = lease;
    return run;
  }

  /** The tick this run is of: itself. */
  get tick(): Tick {
    return this;
  }

  #more(): RunExtras {
    return (this.#extras ??= { timeout: undefined, stuckWatch: undefined, backoff: undefined, pendingFailure: undefined, logger: undefined, leaseInfo: undefined, attemptStartedAt: 0 });
  }

  // ─── what the attempt context reads (jobName, tickId, scheduledAt, manual: the tick's) ──
  get tickSeq(): number {
    return this.seq;
  }
  get lease(): LeaseInfo | undefined {
    const lease = this.#lease;
    if (lease === undefined) return undefined;
    // A read-only view: the task fences with the token; renewing and releasing stay the engine's.
    const extras = this.#more();
    return (extras.leaseInfo ??= { get token() { return lease.token; }, get expiresAt() { return lease.expiresAt; } });
  }

  /** This run's child logger, bound to job, tick and attempt. */
  logger(): Logger {
    const extras = this.#more();
    return (extras.logger ??= this.#host.logger().child({
      tick: this.tick.seq,
      tickId: this.tick.tickId,
      scheduledAt: isoOf(this.tick.due),
      attempt: this.#attempt,
    }));
  }

  // ─── state, read by the executor and snapshots ─────────────────────────────────────
  get settled(): boolean {
    return (this.#flags & SETTLED) !== 0;
  }
  get stuck(): boolean {
    return (this.#flags & STUCK) !== 0;
  }
  get abortCause(): AbortCause | undefined {
    return this.#abortCause ?? ((this.#flags & TIMED_OUT) !== 0 ? 'timeout' : undefined);
  }
  /** Whether someone aborted the run (a timeout does not count: it ends one attempt). */
  get aborted(): boolean {
    return this.#abortCause !== undefined;
  }
  get startedAt(): number {
    return this.#startedAt;
  }
  get attempts(): number {
    return this.#attempt;
  }
  /** The lease the run holds, for the coordination stage. */
  get heldLease(): Lease | undefined {
    return this.#lease;
  }

  // ─── lifecycle ──────────────────────────────────────────────────────────────────────

  /** Starts the first attempt. */
  start(): void {
    const engine = this.#host.engine;
    engine.shapeKeepers.run = this;
    this.#startedAt = engine.clock.now();
    this.#beginAttempt(this.#startedAt);
  }

  /** Aborts the run for `cause`: its signal fires, and no retry follows. Idempotent. */
  abort(cause: Exclude<AbortCause, 'timeout'>): void {
    if (this.settled || this.#abortCause !== undefined) return;
    this.#abortCause = cause;
    const reason = new RunAbortedError(this.tick.jobName, cause);
    const backoff = this.#extras?.backoff;
    if (backoff !== undefined && backoff.queued) {
      // Between attempts nothing is running: the run ends now.
      this.#host.engine.loop.cancel(backoff);
      this.#finish('aborted', reason);
      return;
    }
    if (this.#ctx !== undefined) abortAttempt(this.#ctx, reason);
  }

  /**
   * Ends a run that is waiting to retry, with its last failure: no retry starts once the
   * scheduler stops. A run in the middle of an attempt is left alone.
   */
  endRetryWait(): void {
    const extras = this.#extras;
    const failure = extras?.pendingFailure;
    if (failure === undefined || extras?.backoff === undefined || !extras.backoff.queued) return;
    this.#host.engine.loop.cancel(extras.backoff);
    extras.pendingFailure = undefined;
    this.#finish(failure.outcome, failure.error);
  }

  /**
   * Nobody waits for this run any more (a stop or remove timed out on it): it keeps no timer of
   * the scheduler armed — a retry it was waiting for will not come — and is still accounted for
   * when its attempt settles.
   */
  abandon(): void {
    this.#disarmAttempt();
    this.endRetryWait();
  }

  /** A view for snapshots and stop reports. */
  describe(now: number): InFlightRun {
    return {
      job: this.tick.jobName,
      tick: this.tick.seq,
      tickId: this.tick.tickId,
      scheduledAt: this.tick.scheduledAt,
      startedAt: new Date(this.#host.engine.loop.timeLine.wallAt(this.#startedAt)),
      attempt: this.#attempt,
      runningForMs: now - this.#startedAt,
      stuck: this.stuck,
      abortCause: this.abortCause ?? null,
      leaseToken: this.#lease?.token ?? null,
    };
  }

  // ─── attempts ───────────────────────────────────────────────────────────────────────

  #beginAttempt(now: number): void {
    // A retry after an event-loop stall may come due before the lease keeper's deadline does.
    const lease = this.#lease;
    if (lease !== undefined && this.#attempt > 0) this.#host.leaseHolds(lease);
    if (this.#refusesToStart()) return;
    if (this.#extras !== undefined) {
      this.#extras.pendingFailure = undefined;
      this.#extras.logger = undefined;
    }
    const engine = this.#host.engine;
    const policy = this.#config.policy;
    this.#attempt += 1;
    const attempt = this.#attempt;
    this.#flags &= ~TIMED_OUT;
    // Times are taken on the monotonic line; what users see of them is wall-clock.
    const wallNow = engine.loop.timeLine.wallAt(now);
    const ctx = new AttemptContext(this, attempt, wallNow);
    this.#ctx = ctx;
    // Made here, like every context: one made elsewhere does not keep the same hidden classes alive.
    engine.shapeKeepers.context ??= new AttemptContext(this, attempt, wallNow);

    if (policy.timeoutMs !== undefined) {
      (this.#more().timeout ??= new AttemptDeadline(() => this.#attemptTimedOut())).arm(engine.loop, now, policy.timeoutMs);
    }
    if (policy.stuckAfterMs !== undefined) {
      const extras = this.#more();
      extras.attemptStartedAt = now;
      (extras.stuckWatch ??= new AttemptDeadline((at) => this.#attemptStuck(at))).arm(engine.loop, now, policy.stuckAfterMs);
    }
    const events = engine.events;
    if (events.has('run:start')) {
      const event: Writable<RunStartEvent> = {
        job: this.tick.jobName, tick: this.tick.seq, tickId: this.tick.tickId, scheduledAt: this.tick.eventsScheduledAt,
        manual: this.tick.manual, attempt, startedAt: new Date(wallNow), latenessMs: now - this.tick.monoDue,
      };
      // Added, not spread (a spread of a conditional object cost as much as the rest of the event).
      if (this.#lease !== undefined) event.leaseToken = this.#lease.token;
      events.emit('run:start', event);
    }
    if (levelEnabled(engine.log, 'debug')) this.logger().debug({ latenessMs: now - this.tick.monoDue }, 'run started');
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
    const failure = this.#extras?.pendingFailure;
    if (this.#extras !== undefined) this.#extras.pendingFailure = undefined;
    // A retry that may no longer start ends with the failure it would have retried.
    if (failure !== undefined) this.#finish(failure.outcome, failure.error);
    else this.#finish('aborted', reason ?? new RunAbortedError(this.tick.jobName, this.#abortCause));
    return true;
  }

  #attemptTimedOut(): void {
    this.#flags |= TIMED_OUT;
    if (this.#ctx !== undefined) abortAttempt(this.#ctx, new RunTimeoutError(this.tick.jobName, this.#config.policy.timeoutMs ?? 0));
  }

  #attemptStuck(now: number): void {
    const engine = this.#host.engine;
    if ((this.#flags & STUCK) === 0) engine.tally.stuck += 1;
    this.#flags |= STUCK;
    const attemptStartedAt = this.#extras?.attemptStartedAt ?? this.#startedAt;
    const runningForMs = now - attemptStartedAt;
    if (engine.events.has('run:stuck')) {
      engine.events.emit('run:stuck', {
        job: this.tick.jobName, tick: this.tick.seq, tickId: this.tick.tickId, scheduledAt: this.tick.eventsScheduledAt,
        manual: this.tick.manual, attempt: this.#attempt, startedAt: new Date(engine.loop.timeLine.wallAt(attemptStartedAt)), runningForMs,
      });
    }
    if (levelEnabled(engine.log, 'warn')) {
      this.logger().warn({ runningForMs, abortCause: this.abortCause ?? null }, 'run is stuck: still in flight past stuckAfter');
    }
  }

  #disarmAttempt(): void {
    const extras = this.#extras;
    if (extras !== undefined) {
      const loop = this.#host.engine.loop;
      extras.timeout?.disarm(loop);
      extras.stuckWatch?.disarm(loop);
    }
    if ((this.#flags & STUCK) !== 0) this.#host.engine.tally.stuck -= 1;
    this.#flags &= ~STUCK;
  }

  taskSettled(attempt: number, error: Error | undefined): void {
    if (this.settled || attempt !== this.#attempt) return;
    this.#disarmAttempt();
    const ctx = this.#ctx;
    this.#ctx = undefined;

    let outcome: RunOutcome;
    if (this.#abortCause !== undefined) outcome = 'aborted';
    else if ((this.#flags & TIMED_OUT) !== 0) outcome = 'timeout';
    else outcome = error === undefined ? 'success' : 'error';
    if (outcome === 'aborted') {
      this.#finish('aborted', error ?? (ctx === undefined ? undefined : abortReasonOf(ctx)));
      return;
    }
    const policy = this.#config.policy;
    const failure = outcome === 'timeout' ? (error ?? new RunTimeoutError(this.tick.jobName, policy.timeoutMs ?? 0)) : error;
    if (failure !== undefined && this.#host.accepting && shouldRetry(policy.retry, failure, attempt, () => this.logger())) {
      this.#more().pendingFailure = { outcome, error: failure };
      this.#scheduleRetry(failure);
      return;
    }
    this.#finish(outcome, failure);
  }

  #scheduleRetry(error: Error): void {
    const engine = this.#host.engine;
    const delayMs = this.#config.policy.retry.delayMs(this.#attempt);
    if (engine.events.has('run:retry')) {
      engine.events.emit('run:retry', {
        job: this.tick.jobName, tick: this.tick.seq, tickId: this.tick.tickId, scheduledAt: this.tick.eventsScheduledAt,
        manual: this.tick.manual, attempt: this.#attempt, error, delayMs,
      });
    }
    if (levelEnabled(engine.log, 'warn')) this.logger().warn({ err: error, delayMs }, 'attempt failed; retrying');
    // A listener of run:retry may have aborted the run, stopped the scheduler or removed the job.
    const extras = this.#more();
    if (this.settled || extras.pendingFailure === undefined) return;
    if (this.#abortCause !== undefined) {
      extras.pendingFailure = undefined;
      this.#finish('aborted', new RunAbortedError(this.tick.jobName, this.#abortCause));
      return;
    }
    if (!this.#host.accepting) {
      const failure = extras.pendingFailure;
      extras.pendingFailure = undefined;
      this.#finish(failure.outcome, failure.error);
      return;
    }
    engine.loop.schedule((extras.backoff ??= new RetryBackoff(this)), engine.clock.now() + delayMs);
  }

  backoffElapsed(now: number): void {
    if (this.settled) return;
    this.#beginAttempt(now);
  }

  #finish(outcome: RunOutcome, error: Error | undefined): void {
    if (this.settled) return;
    this.#flags |= SETTLED;
    this.#ctx = undefined;
    // A run aborted while waiting to retry still held the failure; a settled run may be kept (engine.ts, shapeKeepers).
    if (this.#extras !== undefined) this.#extras.pendingFailure = undefined;
    this.#host.runEnded(this, outcome, error, this.#host.engine.clock.now());
  }
}
