/**
 * One run of a job: the attempts of one tick, with its abort signal, timeout, stuck check and
 * retries. A run holds its job's slot from its first attempt's start until the last attempt's
 * promise settles — a timed-out attempt that ignores its signal keeps the slot, and a retry
 * starts only after the previous attempt settled, so attempts of one run never overlap.
 */
import type { Clock } from './clock.js';
import type { EventHub, RunOutcome } from './events.js';
import type { Logger } from './logger.js';
import { levelEnabled } from './logger.js';
import type { JobConfig } from './options.js';
import type { RunContext } from './run-context.js';
import type { InFlightRun } from './snapshot.js';
import type { Tick } from './tick.js';
import { CallbackEntry, type QueueEntry } from './timer-queue.js';
import { RunAbortedError, RunTimeoutError, toError, type AbortCause } from './errors.js';

/** What a run needs from its job. */
export interface RunHost {
  readonly clock: Clock;
  readonly events: EventHub;
  /** False once the scheduler is stopping or the job removed: no retry starts then. */
  readonly accepting: boolean;
  schedule(entry: QueueEntry, due: number): void;
  cancel(entry: QueueEntry): void;
  logger(): Logger;
  runEnded(run: Run, outcome: RunOutcome, error: Error | undefined): void;
}

/** The context handed to a task; `signal` and `log` are built on first use, since most tasks never touch them. */
class AttemptContext implements RunContext {
  readonly #run: Run;
  #log: Logger | undefined;
  readonly #startedAtMs: number;
  readonly attempt: number;

  constructor(run: Run, attempt: number, startedAtMs: number) {
    this.#run = run;
    this.attempt = attempt;
    this.#startedAtMs = startedAtMs;
  }
  get startedAt(): Date {
    return new Date(this.#startedAtMs);
  }
  get signal(): AbortSignal {
    return this.#run.signal;
  }
  get jobName(): string {
    return this.#run.tick.jobName;
  }
  get tick(): number {
    return this.#run.tick.seq;
  }
  get tickId(): string {
    return this.#run.tick.tickId;
  }
  get scheduledAt(): Date {
    return this.#run.tick.scheduledAt;
  }
  get manual(): boolean {
    return this.#run.tick.manual;
  }
  get log(): Logger {
    return (this.#log ??= this.#run.logger());
  }
}

/** The attempts of one tick. */
export class Run {
  readonly tick: Tick;
  readonly #host: RunHost;
  /** The config in force when the run started: an update applies to the next run, not this one. */
  readonly #config: JobConfig;
  #attempt = 0;
  #controller: AbortController | undefined;
  /** The reason the current attempt's signal aborted (or will, once someone reads the signal). */
  #attemptAbortReason: Error | undefined;
  #abortCause: AbortCause | undefined;
  #timedOut = false;
  #settled = false;
  #stuck = false;
  #startedAt = 0;
  #attemptStartedAt = 0;
  #timeoutEntry: CallbackEntry | undefined;
  #stuckEntry: CallbackEntry | undefined;
  #backoffEntry: CallbackEntry | undefined;
  /** The failure a pending retry would follow; the run's outcome if the retry never happens. */
  #pendingFailure: { outcome: RunOutcome; error: Error } | undefined;
  #logger: Logger | undefined;

  constructor(host: RunHost, config: JobConfig, tick: Tick) {
    this.#host = host;
    this.#config = config;
    this.tick = tick;
  }

  /** The current attempt's signal, created on first read. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#attemptAbortReason !== undefined) this.#controller.abort(this.#attemptAbortReason);
    }
    return this.#controller.signal;
  }

  get settled(): boolean {
    return this.#settled;
  }

  get stuck(): boolean {
    return this.#stuck;
  }

  get abortCause(): AbortCause | undefined {
    return this.#abortCause ?? (this.#timedOut ? 'timeout' : undefined);
  }

  get startedAt(): number {
    return this.#startedAt;
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

  /** Starts the first attempt. */
  start(): void {
    this.#startedAt = this.#host.clock.now();
    this.#runAttempt(this.#startedAt);
  }

  /** Aborts the run for `cause`: its signal fires, and no retry follows. Idempotent. */
  abort(cause: Exclude<AbortCause, 'timeout'>): void {
    if (this.#settled || this.#abortCause !== undefined) return;
    this.#abortCause = cause;
    if (this.#backoffEntry?.queued) {
      // Between attempts nothing is running: the run ends now.
      this.#host.cancel(this.#backoffEntry);
      this.#finish('aborted', new RunAbortedError(this.tick.jobName, cause));
      return;
    }
    this.#abortAttempt(new RunAbortedError(this.tick.jobName, cause));
  }

  /**
   * Ends a run that is waiting to retry, with its last failure: no retry starts once the
   * scheduler stops. A run in the middle of an attempt is left alone.
   */
  endRetryWait(): void {
    if (this.#pendingFailure === undefined || !this.#backoffEntry?.queued) return;
    this.#host.cancel(this.#backoffEntry);
    this.#finish(this.#pendingFailure.outcome, this.#pendingFailure.error);
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
    };
  }

  #abortAttempt(reason: Error): void {
    if (this.#attemptAbortReason !== undefined) return;
    this.#attemptAbortReason = reason;
    this.#controller?.abort(reason);
  }

  #runAttempt(now: number): void {
    const host = this.#host;
    const config = this.#config;
    this.#attempt += 1;
    this.#attemptStartedAt = now;
    this.#controller = undefined;
    this.#attemptAbortReason = undefined;
    this.#timedOut = false;
    this.#logger = undefined;
    const attempt = this.#attempt;

    if (config.timeoutMs !== undefined) {
      this.#timeoutEntry ??= new CallbackEntry(() => this.#onTimeout());
      host.schedule(this.#timeoutEntry, now + config.timeoutMs);
    }
    if (config.stuckAfterMs !== undefined) {
      this.#stuckEntry ??= new CallbackEntry((at) => this.#onStuck(at));
      host.schedule(this.#stuckEntry, now + config.stuckAfterMs);
    }
    if (host.events.has('run:start')) {
      host.events.emit('run:start', {
        job: this.tick.jobName, tick: this.tick.seq, tickId: this.tick.tickId, scheduledAt: this.tick.scheduledAt,
        manual: this.tick.manual, attempt, startedAt: new Date(now), latenessMs: now - this.tick.queueDue,
      });
    }
    const log = host.logger();
    if (levelEnabled(log, 'debug')) {
      this.logger().debug({ latenessMs: now - this.tick.queueDue }, 'run started');
    }

    let result: unknown;
    try {
      result = config.run(new AttemptContext(this, attempt, now));
    } catch (error) {
      this.#attemptSettled(attempt, toError(error));
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      // A native promise is used as it is; any other thenable is adopted first, so a misbehaving
      // one (calling back twice, or throwing from then()) cannot reach the run.
      (result instanceof Promise ? result : Promise.resolve(result as PromiseLike<unknown>)).then(
        () => this.#attemptSettled(attempt, undefined),
        (error: unknown) => this.#attemptSettled(attempt, toError(error)),
      );
    } else {
      this.#attemptSettled(attempt, undefined);
    }
  }

  #onTimeout(): void {
    this.#timedOut = true;
    this.#abortAttempt(new RunTimeoutError(this.tick.jobName, this.#config.timeoutMs ?? 0));
  }

  #onStuck(now: number): void {
    this.#stuck = true;
    const runningForMs = now - this.#attemptStartedAt;
    const host = this.#host;
    if (host.events.has('run:stuck')) {
      host.events.emit('run:stuck', {
        job: this.tick.jobName, tick: this.tick.seq, tickId: this.tick.tickId, scheduledAt: this.tick.scheduledAt,
        manual: this.tick.manual, attempt: this.#attempt, startedAt: new Date(this.#attemptStartedAt), runningForMs,
      });
    }
    if (levelEnabled(host.logger(), 'warn')) {
      this.logger().warn({ runningForMs, abortCause: this.abortCause ?? null }, 'run is stuck: still in flight past stuckAfter');
    }
  }

  #attemptSettled(attempt: number, error: Error | undefined): void {
    if (this.#settled || attempt !== this.#attempt) return;
    const host = this.#host;
    if (this.#timeoutEntry !== undefined) host.cancel(this.#timeoutEntry);
    if (this.#stuckEntry !== undefined) host.cancel(this.#stuckEntry);
    this.#stuck = false;
    // Drop the controller: a listener the task left on it dies with it instead of outliving the run.
    this.#controller = undefined;

    let outcome: RunOutcome;
    if (this.#abortCause !== undefined) outcome = 'aborted';
    else if (this.#timedOut) outcome = 'timeout';
    else outcome = error === undefined ? 'success' : 'error';
    const failure = outcome === 'timeout' ? (error ?? new RunTimeoutError(this.tick.jobName, this.#config.timeoutMs ?? 0)) : error;
    if ((outcome === 'error' || outcome === 'timeout') && this.#host.accepting && this.#shouldRetry(failure!)) {
      this.#pendingFailure = { outcome, error: failure! };
      this.#scheduleRetry(failure!);
      return;
    }
    this.#finish(outcome, outcome === 'aborted' ? (error ?? this.#attemptAbortReason) : failure);
  }

  #shouldRetry(error: Error): boolean {
    const retry = this.#config.retry;
    if (this.#attempt >= retry.attempts) return false;
    if (retry.retryIf === undefined) return true;
    try {
      return retry.retryIf(error, this.#attempt);
    } catch (predicateError) {
      this.logger().error({ err: toError(predicateError) }, 'retry.retryIf threw; not retrying');
      return false;
    }
  }

  #scheduleRetry(error: Error): void {
    const host = this.#host;
    const delayMs = this.#config.retry.delayMs(this.#attempt);
    if (host.events.has('run:retry')) {
      host.events.emit('run:retry', {
        job: this.tick.jobName, tick: this.tick.seq, tickId: this.tick.tickId, scheduledAt: this.tick.scheduledAt,
        manual: this.tick.manual, attempt: this.#attempt, error, delayMs,
      });
    }
    if (levelEnabled(host.logger(), 'warn')) {
      this.logger().warn({ err: error, delayMs }, 'attempt failed; retrying');
    }
    this.#backoffEntry ??= new CallbackEntry(() => {
      const failure = this.#pendingFailure!;
      this.#pendingFailure = undefined;
      if (this.#host.accepting) this.#runAttempt(this.#host.clock.now());
      else this.#finish(failure.outcome, failure.error);
    });
    host.schedule(this.#backoffEntry, host.clock.now() + delayMs);
  }

  #finish(outcome: RunOutcome, error: Error | undefined): void {
    this.#settled = true;
    this.#controller = undefined;
    this.#host.runEnded(this, outcome, error);
  }

  get attempts(): number {
    return this.#attempt;
  }
}
