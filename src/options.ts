/**
 * Option types of `createScheduler()` and `scheduler.add()`, their defaults, and their
 * validation. Options are checked eagerly and whole: a refused call changes nothing, and the
 * error names the option, what was expected and what was received.
 */
import type { Clock } from './clock.js';
import type { Duration } from './duration.js';
import type { Logger } from './logger.js';
import type { RunContext } from './run-context.js';
import type { TickCoordinator } from './coordinator.js';
import { parseDuration } from './duration.js';
import { InvalidOptionError } from './errors.js';
import { describeValue } from './describe-value.js';
import { closest } from './closest.js';
import { createTrigger, type Trigger } from './triggers/trigger.js';

/** What a tick does when all of a job's `maxConcurrency` slots are busy. */
export type OverlapPolicy = 'skip' | 'buffer-one' | 'buffer-all' | 'cancel-other';

/** The overlap policies, in the order the docs present them. */
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ['skip', 'buffer-one', 'buffer-all', 'cancel-other'];

/** How long to wait before a retry: a fixed duration, or growing exponentially. */
export type Backoff =
  | Duration
  | {
      /** Wait before the first retry. */
      readonly initial: Duration;
      /** Multiplier per further retry. @default 2 */
      readonly factor?: number;
      /** Upper bound of one wait. @default Infinity */
      readonly max?: Duration;
    };

/** Retries of a failed attempt, inside the same slot (a retry never overlaps the next tick). */
export interface RetryOptions {
  /** Tries in all, the first included: `3` means up to two retries. */
  readonly attempts: number;
  /** Wait between attempts. @default 0 */
  readonly backoff?: Backoff;
  /** Return `false` to give up on this error at once. @default every error and timeout is retried */
  readonly retryIf?: (error: Error, attempt: number) => boolean;
}

/** The task of a job. It may be sync or async; it should stop when `ctx.signal` aborts. */
export type JobTask = (ctx: RunContext) => unknown;

/** Options of a job other than its schedule. */
export interface JobCommonOptions {
  /** Unique within the scheduler; names the job in snapshots, logs, metrics and errors. */
  readonly name: string;
  /** The work to do on each tick. */
  readonly run: JobTask;
  /** IANA time zone of a `cron` schedule, e.g. `'Europe/Berlin'`. @default the process's zone */
  readonly timezone?: string;
  /** Delay before the first tick of a fixedRate/fixedDelay job; fixedRate ticks then follow every period. @default one period */
  readonly initialDelay?: Duration;
  /** Also tick once right after `add()`, before the regular schedule. @default false */
  readonly runOnStart?: boolean;
  /** Up to this much random delay is added to each scheduled start (not to `scheduledAt`). @default 0 */
  readonly jitter?: Duration;
  /** After this many started runs the job is `done`. @default Infinity */
  readonly maxRuns?: number;
  /** Runs of this job that may be in flight at once. @default 1 */
  readonly maxConcurrency?: number;
  /** What a tick does when every slot is busy. @default 'skip' */
  readonly overlap?: OverlapPolicy;
  /** Bound of the queue under `overlap: 'buffer-all'`; on overflow the oldest tick is dropped. @default 100 */
  readonly maxBuffered?: number;
  /** Per attempt: then `ctx.signal` aborts with a {@link RunTimeoutError}. @default none */
  readonly timeout?: Duration;
  /** A run still in flight this long after its attempt started is reported as stuck. @default `timeout` + 1s when `timeout` is set, else never */
  readonly stuckAfter?: Duration;
  /** Retry policy for failed or timed-out attempts. @default one attempt */
  readonly retry?: RetryOptions;
  /** After this many failed runs in a row the job pauses itself. @default Infinity */
  readonly maxConsecutiveFailures?: number;
}

/** Exactly one schedule: the union makes passing none or two a type error. */
export type ScheduleOptions =
  | { readonly fixedRate: Duration; readonly fixedDelay?: never; readonly cron?: never; readonly at?: never }
  | { readonly fixedDelay: Duration; readonly fixedRate?: never; readonly cron?: never; readonly at?: never }
  | { readonly cron: string; readonly fixedRate?: never; readonly fixedDelay?: never; readonly at?: never }
  | { readonly at: Date | number; readonly fixedRate?: never; readonly fixedDelay?: never; readonly cron?: never };

/** Options of `scheduler.add()`. */
export type JobOptions = JobCommonOptions & ScheduleOptions;

/** What `job.update()` accepts: anything but the name; a new schedule replaces the old one. */
export type JobUpdate = Partial<Omit<JobCommonOptions, 'name'>> & Partial<{
  readonly fixedRate: Duration;
  readonly fixedDelay: Duration;
  readonly cron: string;
  readonly at: Date | number;
}>;

/** Options of `createScheduler()`. */
export interface SchedulerOptions {
  /** Source of time and timers. Pass a {@link TestClock} in tests. @default the system clock */
  readonly clock?: Clock;
  /** A pino-compatible logger. @default silent */
  readonly logger?: Logger;
  /** Let the process exit while the scheduler's timer is the only thing left. @default false */
  readonly unref?: boolean;
  /** Asked just before each run starts whether this process may run that tick (replica coordination). @default every tick is claimed */
  readonly coordinator?: TickCoordinator;
}

/** Options of `scheduler.stop()` and `job.remove()`. */
export interface StopOptions {
  /** Give in-flight runs this long to settle, then resolve with them listed as still running. @default '10s' */
  readonly timeout?: Duration;
  /** Abort in-flight runs' signals first. @default false for stop(), true for remove() */
  readonly abort?: boolean;
}

/** A job's options after validation, with defaults applied and durations in milliseconds. */
export interface JobConfig {
  readonly name: string;
  readonly run: JobTask;
  readonly trigger: Trigger;
  readonly initialDelayMs: number | undefined;
  readonly runOnStart: boolean;
  readonly jitterMs: number;
  readonly maxRuns: number;
  readonly maxConcurrency: number;
  readonly overlap: OverlapPolicy;
  readonly maxBuffered: number;
  readonly timeoutMs: number | undefined;
  readonly stuckAfterMs: number | undefined;
  readonly retry: RetryConfig;
  readonly maxConsecutiveFailures: number;
  /** The options as given (merged over updates), kept to validate the next update against. */
  readonly source: JobOptions;
}

/** Retry options after validation. */
export interface RetryConfig {
  readonly attempts: number;
  readonly delayMs: (retry: number) => number;
  readonly retryIf: ((error: Error, attempt: number) => boolean) | undefined;
}

const SCHEDULE_KEYS = ['fixedRate', 'fixedDelay', 'cron', 'at'] as const;
const JOB_KEYS = [
  'name', 'run', ...SCHEDULE_KEYS, 'timezone', 'initialDelay', 'runOnStart', 'jitter', 'maxRuns',
  'maxConcurrency', 'overlap', 'maxBuffered', 'timeout', 'stuckAfter', 'retry', 'maxConsecutiveFailures',
] as const;
const RETRY_KEYS = ['attempts', 'backoff', 'retryIf'] as const;
const BACKOFF_KEYS = ['initial', 'factor', 'max'] as const;
const SCHEDULER_KEYS = ['clock', 'logger', 'unref', 'coordinator'] as const;
const STOP_KEYS = ['timeout', 'abort'] as const;

/** The key lists above as sets, so that checking an option name is a hash lookup (add() is on the setup path of 100k jobs). */
const KNOWN_SETS = new Map<readonly string[], ReadonlySet<string>>(
  [JOB_KEYS, RETRY_KEYS, BACKOFF_KEYS, SCHEDULER_KEYS, STOP_KEYS].map((keys) => [keys, new Set<string>(keys)]),
);

/** Refuses keys that are not options, suggesting the nearest valid one. */
export function rejectUnknownKeys(value: object, known: readonly string[], where: string): void {
  const knownSet = KNOWN_SETS.get(known) ?? new Set(known);
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key) || knownSet.has(key)) continue;
    const suggestion = closest(key, known);
    throw new InvalidOptionError(
      key,
      (value as Record<string, unknown>)[key],
      `Unknown option \`${key}\` in ${where}${suggestion ? `; did you mean \`${suggestion}\`?` : ''} Valid options: ${known.join(', ')}`,
    );
  }
}

function requireObject(value: unknown, option: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(option, value, `Expected \`${option}\` to be an object, got ${describeValue(value)}`);
  }
}

function integerAtLeast(value: unknown, option: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === Infinity && min >= 0) return Infinity;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(option, value, `Expected \`${option}\` to be an integer >= ${min}${option === 'maxRuns' || option === 'maxConsecutiveFailures' ? ' or Infinity' : ''}, got ${describeValue(value)}`);
  }
  return value;
}

function optionalBoolean(value: unknown, option: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new InvalidOptionError(option, value, `Expected \`${option}\` to be a boolean, got ${describeValue(value)}`);
  return value;
}

/** Validates `add()` options; `now` anchors `at` checks. Throws an {@link InvalidOptionError} on the first problem. */
export function validateJobOptions(input: unknown): JobConfig {
  requireObject(input, 'options');
  rejectUnknownKeys(input, JOB_KEYS, 'job options');
  const options = input as unknown as JobOptions;
  const raw = input as Record<string, unknown>;

  const { name } = options;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new InvalidOptionError('name', name, `Expected \`name\` to be a non-empty string, got ${describeValue(name)}`);
  }
  if (typeof options.run !== 'function') {
    throw new InvalidOptionError('run', options.run, `Expected \`run\` to be a function, got ${describeValue(options.run)} (job ${JSON.stringify(name)})`);
  }

  const given = SCHEDULE_KEYS.filter((key) => raw[key] !== undefined);
  if (given.length !== 1) {
    throw new InvalidOptionError(
      given[1] ?? 'schedule',
      given.length === 0 ? undefined : given,
      given.length === 0
        ? `Job ${JSON.stringify(name)} needs a schedule: exactly one of \`fixedRate\`, \`fixedDelay\`, \`cron\` or \`at\``
        : `Job ${JSON.stringify(name)} has ${given.length} schedules (${given.map((k) => `\`${k}\``).join(', ')}); give exactly one`,
    );
  }
  const scheduleKey = given[0]!;
  if (options.timezone !== undefined && scheduleKey !== 'cron') {
    throw new InvalidOptionError('timezone', options.timezone, `\`timezone\` applies to \`cron\` schedules only; job ${JSON.stringify(name)} uses \`${scheduleKey}\``);
  }
  if (options.initialDelay !== undefined && scheduleKey !== 'fixedRate' && scheduleKey !== 'fixedDelay') {
    throw new InvalidOptionError('initialDelay', options.initialDelay, `\`initialDelay\` applies to \`fixedRate\` and \`fixedDelay\` schedules only; job ${JSON.stringify(name)} uses \`${scheduleKey}\``);
  }
  const trigger = createTrigger(scheduleKey, raw[scheduleKey], options.timezone);

  const overlap = options.overlap ?? 'skip';
  if (!OVERLAP_POLICIES.includes(overlap)) {
    const suggestion = typeof overlap === 'string' ? closest(overlap, OVERLAP_POLICIES) : undefined;
    throw new InvalidOptionError('overlap', overlap, `Expected \`overlap\` to be one of ${OVERLAP_POLICIES.map((p) => `'${p}'`).join(', ')}, got ${describeValue(overlap)}${suggestion ? `; did you mean '${suggestion}'?` : ''}`);
  }
  if (options.maxBuffered !== undefined && overlap !== 'buffer-all') {
    throw new InvalidOptionError('maxBuffered', options.maxBuffered, `\`maxBuffered\` applies to \`overlap: 'buffer-all'\` only; job ${JSON.stringify(name)} uses '${overlap}'`);
  }
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeout');
  const stuckAfterMs = options.stuckAfter === undefined
    ? (timeoutMs === undefined ? undefined : timeoutMs + 1_000)
    : parseDuration(options.stuckAfter, 'stuckAfter');

  return {
    name,
    run: options.run,
    trigger,
    initialDelayMs: options.initialDelay === undefined ? undefined : parseDuration(options.initialDelay, 'initialDelay', 'non-negative'),
    runOnStart: optionalBoolean(options.runOnStart, 'runOnStart'),
    jitterMs: options.jitter === undefined ? 0 : parseDuration(options.jitter, 'jitter', 'non-negative'),
    maxRuns: integerAtLeast(options.maxRuns, 'maxRuns', 1, Infinity),
    maxConcurrency: integerAtLeast(options.maxConcurrency, 'maxConcurrency', 1, 1),
    overlap,
    maxBuffered: integerAtLeast(options.maxBuffered, 'maxBuffered', 1, 100),
    timeoutMs,
    stuckAfterMs,
    retry: validateRetry(options.retry),
    maxConsecutiveFailures: integerAtLeast(options.maxConsecutiveFailures, 'maxConsecutiveFailures', 1, Infinity),
    source: options,
  };
}

/** The retry config of every job that has none: shared, so it costs no object and closure per job. */
const NO_RETRY: RetryConfig = Object.freeze({ attempts: 1, delayMs: () => 0, retryIf: undefined });

function validateRetry(retry: unknown): RetryConfig {
  if (retry === undefined) return NO_RETRY;
  requireObject(retry, 'retry');
  rejectUnknownKeys(retry, RETRY_KEYS, '`retry`');
  const attempts = integerAtLeast(retry.attempts, 'retry.attempts', 1, NaN);
  if (Number.isNaN(attempts) || attempts === Infinity) {
    throw new InvalidOptionError('retry.attempts', retry.attempts, `Expected \`retry.attempts\` to be a finite integer >= 1 (tries in all, the first included), got ${describeValue(retry.attempts)}`);
  }
  if (retry.retryIf !== undefined && typeof retry.retryIf !== 'function') {
    throw new InvalidOptionError('retry.retryIf', retry.retryIf, `Expected \`retry.retryIf\` to be a function, got ${describeValue(retry.retryIf)}`);
  }
  return { attempts, delayMs: validateBackoff(retry.backoff), retryIf: retry.retryIf as RetryConfig['retryIf'] };
}

function validateBackoff(backoff: unknown): (retry: number) => number {
  if (backoff === undefined) return () => 0;
  if (typeof backoff !== 'object' || backoff === null) {
    const fixed = parseDuration(backoff, 'retry.backoff', 'non-negative');
    return () => fixed;
  }
  rejectUnknownKeys(backoff, BACKOFF_KEYS, '`retry.backoff`');
  const { initial, factor = 2, max } = backoff as { initial?: unknown; factor?: unknown; max?: unknown };
  const initialMs = parseDuration(initial, 'retry.backoff.initial', 'non-negative');
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) {
    throw new InvalidOptionError('retry.backoff.factor', factor, `Expected \`retry.backoff.factor\` to be a finite number >= 1, got ${describeValue(factor)}`);
  }
  const maxMs = max === undefined ? Infinity : parseDuration(max, 'retry.backoff.max', 'non-negative');
  return (retryNumber) => Math.min(maxMs, initialMs * factor ** (retryNumber - 1));
}

/** Validates `job.update()` against the job's current options; the result replaces the config whole. */
export function validateJobUpdate(current: JobConfig, update: unknown): JobConfig {
  requireObject(update, 'update');
  if ('name' in update) {
    throw new InvalidOptionError('name', update.name, 'A job cannot be renamed by `update()`; remove it and add it under the new name');
  }
  rejectUnknownKeys(update, JOB_KEYS, 'job update');
  const merged: Record<string, unknown> = { ...current.source };
  if (SCHEDULE_KEYS.some((key) => update[key] !== undefined)) {
    for (const key of SCHEDULE_KEYS) delete merged[key];
    if (update.cron === undefined) delete merged.timezone;
  }
  for (const [key, value] of Object.entries(update)) merged[key] = value;
  if (merged.overlap !== 'buffer-all' && update.overlap !== undefined && update.maxBuffered === undefined) delete merged.maxBuffered;
  return validateJobOptions(merged);
}

/** Validated scheduler options. */
export interface SchedulerConfig {
  readonly clock: Clock | undefined;
  readonly logger: Logger | undefined;
  readonly unref: boolean;
  readonly coordinator: TickCoordinator | undefined;
}

/** Validates `createScheduler()` options. */
export function validateSchedulerOptions(input: unknown): SchedulerConfig {
  if (input === undefined) return { clock: undefined, logger: undefined, unref: false, coordinator: undefined };
  requireObject(input, 'options');
  rejectUnknownKeys(input, SCHEDULER_KEYS, 'scheduler options');
  const { clock, logger, coordinator } = input as Partial<SchedulerOptions>;
  if (clock !== undefined && !hasMethods(clock, ['now', 'wallNow', 'setTimer', 'clearTimer'])) {
    throw new InvalidOptionError('clock', clock, `Expected \`clock\` to implement now(), wallNow(), setTimer() and clearTimer(), got ${describeValue(clock)}`);
  }
  if (logger !== undefined && !hasMethods(logger, ['child', 'debug', 'info', 'warn', 'error'])) {
    throw new InvalidOptionError('logger', logger, `Expected \`logger\` to be pino-compatible (child, debug, info, warn, error), got ${describeValue(logger)}`);
  }
  if (coordinator !== undefined && !hasMethods(coordinator, ['claim'])) {
    throw new InvalidOptionError('coordinator', coordinator, `Expected \`coordinator\` to have a claim() method, got ${describeValue(coordinator)}`);
  }
  return { clock, logger, unref: optionalBoolean(input.unref, 'unref'), coordinator };
}

/** Validates `stop()`/`remove()` options. */
export function validateStopOptions(input: unknown, defaultAbort: boolean): { timeoutMs: number; abort: boolean } {
  if (input === undefined) return { timeoutMs: 10_000, abort: defaultAbort };
  requireObject(input, 'options');
  rejectUnknownKeys(input, STOP_KEYS, 'stop options');
  return {
    timeoutMs: input.timeout === undefined ? 10_000 : parseDuration(input.timeout, 'timeout', 'non-negative'),
    abort: input.abort === undefined ? defaultAbort : optionalBoolean(input.abort, 'abort'),
  };
}

function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return typeof value === 'object' && value !== null && methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
}
