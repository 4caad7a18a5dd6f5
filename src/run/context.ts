import type { Logger, RunLogger } from '../logger.js';
import type { LeaseInfo } from '../coordination/contract.js';

/** What a task receives on each attempt. */
export interface RunContext {
  /**
   * Aborts on timeout, `cancel-other`, `stop({ abort: true })`, `remove()` and a lost lease; its
   * `reason` is a {@link RunAbortedError}. The same signal for the whole attempt, also when
   * read after the attempt ended.
   */
  readonly signal: AbortSignal;
  /** The job's name. */
  readonly jobName: string;
  /** The job's tick counter: 1 for its first tick, skipped and missed ticks included. */
  readonly tick: number;
  /** Stable identity of the tick: `${jobName}@${scheduledAt ISO}`. */
  readonly tickId: string;
  /** The nominal due time of the tick, not the firing time. */
  readonly scheduledAt: Date;
  /** When this attempt started. */
  readonly startedAt: Date;
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number;
  /** Whether the tick came from `job.trigger()`. */
  readonly manual: boolean;
  /**
   * This run's child logger, bound to job, tick and attempt. It takes pino's call shapes —
   * `log.info('message')`, `log.info({ rows }, 'synced')`, `log.info('took %d ms', ms)` — and
   * never throws: a failing logger is reported once and the run goes on.
   */
  readonly log: RunLogger;
  /**
   * The coordination lease the run holds, when the job is coordinated: pass `lease.token` (a
   * fencing token, strictly increasing per job across replicas) with downstream writes.
   */
  readonly lease: LeaseInfo | undefined;
}

/** What an attempt's context reads from its run. */
export interface AttemptSource {
  readonly jobName: string;
  readonly tickSeq: number;
  readonly tickId: string;
  readonly scheduledAt: Date;
  readonly manual: boolean;
  readonly lease: LeaseInfo | undefined;
  logger(): Logger;
}

/** Engine-only access to an attempt's signal: set by the class below, reachable from no context object. */
let abortContext: (ctx: AttemptContext, reason: Error) => void;
let readAbortReason: (ctx: AttemptContext) => Error | undefined;

/** Aborts the attempt's signal (now, or when it is first read). Only the first reason counts. */
export function abortAttempt(ctx: AttemptContext, reason: Error): void {
  abortContext(ctx, reason);
}

/** Why the attempt was aborted, if it was. */
export function abortReasonOf(ctx: AttemptContext): Error | undefined {
  return readAbortReason(ctx);
}

/**
 * The context of one attempt. It owns the attempt's abort signal, created on first read (most
 * tasks never touch it): a signal read after the attempt ended is still that attempt's, aborted
 * exactly when the attempt was. The run lets go of the context when the attempt ends, so a
 * listener the task left on the signal dies with it. The task sees the {@link RunContext}
 * members only: aborting is the engine's, through {@link abortAttempt}.
 */
export class AttemptContext implements RunContext {
  readonly #source: AttemptSource;
  readonly attempt: number;
  readonly #startedAtMs: number;
  #controller: AbortController | undefined;
  #abortReason: Error | undefined;
  #log: RunLogger | undefined;

  static {
    abortContext = (ctx, reason) => {
      if (ctx.#abortReason !== undefined) return;
      ctx.#abortReason = reason;
      ctx.#controller?.abort(reason);
    };
    readAbortReason = (ctx) => ctx.#abortReason;
  }

  /** @param startedAtMs when the attempt started, on the wall clock. */
  constructor(source: AttemptSource, attempt: number, startedAtMs: number) {
    this.#source = source;
    this.attempt = attempt;
    this.#startedAtMs = startedAtMs;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortReason !== undefined) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  get startedAt(): Date {
    return new Date(this.#startedAtMs);
  }
  get jobName(): string {
    return this.#source.jobName;
  }
  get tick(): number {
    return this.#source.tickSeq;
  }
  get tickId(): string {
    return this.#source.tickId;
  }
  get scheduledAt(): Date {
    return this.#source.scheduledAt;
  }
  get manual(): boolean {
    return this.#source.manual;
  }
  get lease(): LeaseInfo | undefined {
    return this.#source.lease;
  }
  get log(): RunLogger {
    // Every logger the engine holds is guardLogger()'s wrapper or silentLogger, both RunLoggers.
    return (this.#log ??= this.#source.logger() as RunLogger);
  }
}
