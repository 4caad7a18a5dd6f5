/**
 * Every error tickguard throws or reports is a {@link TickguardError} with a stable `code`,
 * so callers can branch on `err.code` (or `instanceof`) instead of parsing messages.
 *
 * `err.code` is the stable check: it holds across versions, bundles and realms. `instanceof`
 * works too, also across copies of tickguard in one process — an app that imports the ESM build
 * while a dependency `require()`s the CommonJS one has two copies of every class. Each class is
 * branded with a name under a `Symbol.for()` key (one registry per process), and
 * `Symbol.hasInstance` accepts an error of either copy whose class chain carries the brand.
 */

/** The brand's key: `Symbol.for` gives every copy of this module the same symbol. */
const BRAND: unique symbol = Symbol.for('tickguard.errorClass');

type Branded = { readonly [BRAND]?: string };

/** Whether `value`'s prototype chain holds a class branded `brand` (by this copy of tickguard or another). */
function carriesBrand(value: object, brand: string): boolean {
  for (let proto: unknown = Object.getPrototypeOf(value); proto !== null && typeof proto === 'object'; proto = Object.getPrototypeOf(proto)) {
    if (!Object.hasOwn(proto, 'constructor')) continue;
    const ctor = (proto as { constructor: unknown }).constructor;
    if (typeof ctor === 'function' && Object.hasOwn(ctor, BRAND) && (ctor as Branded)[BRAND] === brand) return true;
  }
  return false;
}

/** Brands `cls` under `brand`: a literal, since bundlers that minify may rename the class. */
function brand(cls: abstract new (...args: never[]) => Error, name: string): void {
  Object.defineProperty(cls, BRAND, { value: name });
}

/** Stable identities of tickguard's errors. */
export type TickguardErrorCode =
  | 'ERR_TICKGUARD_INVALID_OPTION'
  | 'ERR_TICKGUARD_INVALID_DURATION'
  | 'ERR_TICKGUARD_INVALID_CRON'
  | 'ERR_TICKGUARD_DUPLICATE_JOB'
  | 'ERR_TICKGUARD_SCHEDULER_STOPPED'
  | 'ERR_TICKGUARD_JOB_REMOVED'
  | 'ERR_TICKGUARD_RUN_ABORTED'
  | 'ERR_TICKGUARD_RUN_TIMEOUT'
  | 'ERR_TICKGUARD_NON_ERROR_THROWN'
  | 'ERR_TICKGUARD_JOB_DONE'
  | 'ERR_TICKGUARD_INVALID_CLAIM_RESULT'
  | 'ERR_TICKGUARD_CLAIM_TIMEOUT'
  | 'ERR_TICKGUARD_COORDINATOR_UNAVAILABLE'
  | 'ERR_TICKGUARD_CLOCK_MISUSE';

/** Base class of all tickguard errors. */
export class TickguardError extends Error {
  /** A stable identifier of the failure, e.g. `ERR_TICKGUARD_INVALID_CRON`. */
  readonly code: TickguardErrorCode;

  constructor(code: TickguardErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  /**
   * `err instanceof TickguardError` (or any subclass) — true also for an error made by another
   * copy of tickguard loaded in the same process (its ESM and CommonJS builds, say).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (typeof value !== 'object' || value === null || !Object.hasOwn(this, BRAND)) return false;
    return carriesBrand(value, (this as Branded)[BRAND]!);
  }
}

/** An option was missing, unknown, of the wrong type or out of range. */
export class InvalidOptionError extends TickguardError {
  /** The option's path, e.g. `retry.attempts`. */
  readonly option: string;
  /** The value that was refused. */
  readonly value: unknown;

  constructor(
    option: string,
    value: unknown,
    message: string,
    code: TickguardErrorCode = 'ERR_TICKGUARD_INVALID_OPTION',
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.option = option;
    this.value = value;
  }
}

/** A duration was zero where it must be positive, negative, NaN, infinite or unparseable. */
export class InvalidDurationError extends InvalidOptionError {
  constructor(option: string, value: unknown, message: string) {
    super(option, value, message, 'ERR_TICKGUARD_INVALID_DURATION');
  }
}

/** A cron expression or its time zone was refused. */
export class InvalidCronError extends InvalidOptionError {
  constructor(option: string, value: unknown, message: string, cause?: unknown) {
    super(option, value, message, 'ERR_TICKGUARD_INVALID_CRON', { cause });
  }
}

/** `add()` was given a name that the scheduler already holds. */
export class DuplicateJobError extends TickguardError {
  /** The name that is taken. */
  readonly jobName: string;
  constructor(jobName: string) {
    super('ERR_TICKGUARD_DUPLICATE_JOB', `A job named ${JSON.stringify(jobName)} already exists in this scheduler`);
    this.jobName = jobName;
  }
}

/** The scheduler is stopping or stopped, so it takes no new jobs or manual ticks. */
export class SchedulerStoppedError extends TickguardError {
  constructor(action: string) {
    super('ERR_TICKGUARD_SCHEDULER_STOPPED', `Cannot ${action}: the scheduler has been stopped`);
  }
}

/** A method was called on a job that has been removed. */
export class JobRemovedError extends TickguardError {
  /** The removed job's name. */
  readonly jobName: string;
  constructor(jobName: string, action: string) {
    super('ERR_TICKGUARD_JOB_REMOVED', `Cannot ${action}: job ${JSON.stringify(jobName)} has been removed`);
    this.jobName = jobName;
  }
}

/**
 * A job that is `done` was asked to do something only a live schedule can: `update()` without a
 * new schedule or a higher `maxRuns` cannot revive it.
 */
export class JobDoneError extends TickguardError {
  /** The done job's name. */
  readonly jobName: string;
  constructor(jobName: string, message: string) {
    super('ERR_TICKGUARD_JOB_DONE', message);
    this.jobName = jobName;
  }
}

/** A coordinator's `claim()` resolved with something that is neither a lease, `null` nor a boolean. */
export class InvalidClaimResultError extends TickguardError {
  /** What the claim resolved with. */
  readonly value: unknown;
  constructor(value: unknown, description: string) {
    super(
      'ERR_TICKGUARD_INVALID_CLAIM_RESULT',
      `coordinator.claim() resolved with ${description}; expected a lease, null (claimed elsewhere) or a boolean`,
    );
    this.value = value;
  }
}

/** The reason of a claim's signal when the claim ran past its deadline (`claimTimeout`). */
export class ClaimTimeoutError extends TickguardError {
  readonly tickId: string;
  /** The claim's deadline: `claimTimeout`, or less when the lease it asks for would not last that long. */
  readonly timeoutMs: number;
  /** When the answer came after the deadline (it reached the engine late, an event-loop stall say): how late. */
  readonly answeredAfterMs: number | undefined;
  constructor(tickId: string, timeoutMs: number, answeredAfterMs?: number) {
    super('ERR_TICKGUARD_CLAIM_TIMEOUT', answeredAfterMs === undefined
      ? `The claim of tick ${JSON.stringify(tickId)} did not settle within ${timeoutMs}ms; the tick is skipped`
      : `The claim of tick ${JSON.stringify(tickId)} was answered after ${answeredAfterMs}ms, past its ${timeoutMs}ms deadline: the lease it won may have expired already, so the tick is skipped and the lease released`);
    this.tickId = tickId;
    this.timeoutMs = timeoutMs;
    this.answeredAfterMs = answeredAfterMs;
  }
}

/**
 * Thrown (or rejected with) by a coordinator whose store cannot be reached: the tick is skipped
 * with reason `coordinator-unavailable` rather than the generic `claim-failed`.
 */
export class CoordinatorUnavailableError extends TickguardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TICKGUARD_COORDINATOR_UNAVAILABLE', message, options);
  }
}

/** A {@link TestClock} was driven in a way that would make a test's result depend on luck. */
export class ClockMisuseError extends TickguardError {
  constructor(message: string) {
    super('ERR_TICKGUARD_CLOCK_MISUSE', message);
  }
}

/** Why a run's `ctx.signal` was aborted. */
export type AbortCause = 'timeout' | 'cancel-other' | 'stop' | 'remove' | 'lease-lost';

/** The `reason` of an aborted `ctx.signal`: `abortCause` says who aborted the run. */
export class RunAbortedError extends TickguardError {
  /** Who aborted the run. */
  readonly abortCause: AbortCause;
  /** The job whose run it was. */
  readonly jobName: string;

  constructor(jobName: string, cause: AbortCause, message?: string, code: TickguardErrorCode = 'ERR_TICKGUARD_RUN_ABORTED') {
    super(code, message ?? `Run of job ${JSON.stringify(jobName)} was aborted (${describeCause(cause)})`);
    this.abortCause = cause;
    this.jobName = jobName;
  }
}

/** The reason of a signal aborted because an attempt ran past its `timeout`. */
export class RunTimeoutError extends RunAbortedError {
  /** The `timeout` the attempt ran past. */
  readonly timeoutMs: number;
  constructor(jobName: string, timeoutMs: number) {
    super(jobName, 'timeout', `Run of job ${JSON.stringify(jobName)} timed out after ${timeoutMs}ms`, 'ERR_TICKGUARD_RUN_TIMEOUT');
    this.timeoutMs = timeoutMs;
  }
}

/** Wraps a value that a task threw or rejected with that is not an `Error`. */
export class NonErrorThrownError extends TickguardError {
  readonly value: unknown;
  constructor(value: unknown) {
    super('ERR_TICKGUARD_NON_ERROR_THROWN', `Task threw a non-Error value: ${safeString(value)}`);
    this.value = value;
  }
}

for (const [cls, name] of [
  [TickguardError, 'TickguardError'],
  [InvalidOptionError, 'InvalidOptionError'],
  [InvalidDurationError, 'InvalidDurationError'],
  [InvalidCronError, 'InvalidCronError'],
  [DuplicateJobError, 'DuplicateJobError'],
  [SchedulerStoppedError, 'SchedulerStoppedError'],
  [JobRemovedError, 'JobRemovedError'],
  [JobDoneError, 'JobDoneError'],
  [InvalidClaimResultError, 'InvalidClaimResultError'],
  [ClaimTimeoutError, 'ClaimTimeoutError'],
  [CoordinatorUnavailableError, 'CoordinatorUnavailableError'],
  [ClockMisuseError, 'ClockMisuseError'],
  [RunAbortedError, 'RunAbortedError'],
  [RunTimeoutError, 'RunTimeoutError'],
  [NonErrorThrownError, 'NonErrorThrownError'],
] as const) brand(cls, name);

/** Turns anything thrown into an `Error`, keeping the original value when it was not one. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new NonErrorThrownError(value);
}

function describeCause(cause: AbortCause): string {
  switch (cause) {
    case 'timeout':
      return 'timeout';
    case 'cancel-other':
      return "a newer tick took its slot under overlap 'cancel-other'";
    case 'stop':
      return 'the scheduler was stopped with abort: true';
    case 'remove':
      return 'the job was removed';
    case 'lease-lost':
      return 'its coordination lease was lost: another replica may run the job now';
  }
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
