/**
 * Validation of `add()` and `update()` options. Options are checked eagerly and whole: a
 * refused call changes nothing, and the error names the option, what was expected and what was
 * received.
 */
import { parseDuration } from '../duration.js';
import { InvalidOptionError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { createSchedule } from '../schedules/create.js';
import type { Schedule, ScheduleKind } from '../schedules/schedule.js';
import type { CoordinationMode } from '../coordination/contract.js';
import { DEFAULTS } from './defaults.js';
import { OVERLAP_POLICIES, type JobOptions, type JobTask, type OverlapPolicy, type RetryConfig } from './types.js';
import { integerAtLeast, oneOf, optionalBoolean, rejectUnknownKeys, requireObject } from './validate.js';

/**
 * A job's options after validation, with defaults applied and durations in milliseconds: what
 * is the job's own (name, task, schedule), and its policy — which jobs with the same options
 * share, so that 100k alike jobs hold one policy object, not 100k.
 */
export interface JobConfig {
  readonly name: string;
  readonly run: JobTask;
  readonly schedule: Schedule;
  readonly policy: JobPolicy;
  /**
   * The options as given (merged over updates), kept to validate the next update against;
   * `undefined` when they were only a name, a task and `fixedRate` (see {@link sourceOf}).
   */
  readonly source: JobOptions | undefined;
}

/** Everything about how a job runs but its name, task and schedule. Shared between alike jobs: never mutate. */
export interface JobPolicy {
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
  readonly coordination: CoordinationMode;
  readonly leaseTtlMs: number;
  /** How old a slot may be for the job's catch-up run at add(); `undefined`: no catch-up. */
  readonly catchUpWindowMs: number | undefined;
}

/** What validation needs to know of the scheduler. */
export interface JobContext {
  /** Whether the scheduler has a coordinator. */
  readonly coordinated: boolean;
}

const SCHEDULE_KEYS = ['fixedRate', 'fixedDelay', 'cron', 'at'] as const;
const JOB_KEYS = [
  'name', 'run', ...SCHEDULE_KEYS, 'timezone', 'initialDelay', 'phase', 'runOnStart', 'jitter', 'maxRuns',
  'maxConcurrency', 'overlap', 'maxBuffered', 'timeout', 'stuckAfter', 'retry', 'maxConsecutiveFailures',
  'coordination', 'leaseTtl', 'catchUp',
] as const;
const RETRY_KEYS = ['attempts', 'backoff', 'retryIf'] as const;
const BACKOFF_KEYS = ['initial', 'factor', 'max'] as const;
const COORDINATION_MODES: readonly CoordinationMode[] = ['per-tick', 'exclusive', 'local'];

/** The keys of a schedule, for callers that must know whether an update changes it. */
export const SCHEDULE_OPTION_KEYS: readonly string[] = [...SCHEDULE_KEYS, 'timezone', 'phase'];

/** Validates `add()` options. Throws an {@link InvalidOptionError} on the first problem. */
export function validateJobOptions(input: unknown, context: JobContext): JobConfig {
  requireObject(input, 'options');
  rejectUnknownKeys(input, JOB_KEYS, 'job options');
  const options = input as unknown as JobOptions;
  const raw = input as Record<string, unknown>;

  const { name } = options;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new InvalidOptionError('name', name, `Expected \`name\` to be a non-empty string, got ${describeValue(name)}`);
  }
  if (name.includes('@')) {
    throw new InvalidOptionError('name', name, `Expected \`name\` without '@' (it separates the name from the due time in tick ids such as 'sync@2026-01-01T00:00:00.000Z'), got ${describeValue(name)}`);
  }
  if (typeof options.run !== 'function') {
    throw new InvalidOptionError('run', options.run, `Expected \`run\` to be a function, got ${describeValue(options.run)} (job ${JSON.stringify(name)})`);
  }

  let kind: ScheduleKind | undefined;
  let schedules = 0;
  for (const key of SCHEDULE_KEYS) {
    if (raw[key] === undefined) continue;
    schedules += 1;
    kind ??= key;
  }
  if (kind === undefined || schedules !== 1) {
    const given = SCHEDULE_KEYS.filter((key) => raw[key] !== undefined);
    throw new InvalidOptionError(
      given[1] ?? 'schedule',
      given.length === 0 ? undefined : given,
      given.length === 0
        ? `Job ${JSON.stringify(name)} needs a schedule: exactly one of \`fixedRate\`, \`fixedDelay\`, \`cron\` or \`at\``
        : `Job ${JSON.stringify(name)} has ${given.length} schedules (${given.map((k) => `\`${k}\``).join(', ')}); give exactly one`,
    );
  }
  onlyFor(raw, 'timezone', kind, ['cron'], name);
  onlyFor(raw, 'initialDelay', kind, ['fixedRate', 'fixedDelay'], name);
  onlyFor(raw, 'phase', kind, ['fixedRate'], name);
  const schedule = createSchedule({ kind, value: raw[kind], timezone: options.timezone, phase: options.phase });

  const overlap = oneOf(options.overlap, 'overlap', OVERLAP_POLICIES, DEFAULTS.overlap);
  if (options.maxBuffered !== undefined && overlap !== 'buffer-all') {
    throw new InvalidOptionError('maxBuffered', options.maxBuffered, `\`maxBuffered\` applies to \`overlap: 'buffer-all'\` only; job ${JSON.stringify(name)} uses '${overlap}'`);
  }
  const jitterMs = options.jitter === undefined ? DEFAULTS.jitterMs : parseDuration(options.jitter, 'jitter', 'non-negative');
  if (schedule.periodMs !== undefined && jitterMs >= schedule.periodMs) {
    throw new InvalidOptionError('jitter', options.jitter, `Expected \`jitter\` to be below the period (${schedule.periodMs} ms) of job ${JSON.stringify(name)}: a start delayed past the next slot would overtake it, got ${describeValue(options.jitter)}`);
  }
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeout');
  const stuckAfterMs = options.stuckAfter === undefined
    ? (timeoutMs === undefined ? undefined : timeoutMs + DEFAULTS.stuckAfterGraceMs)
    : parseDuration(options.stuckAfter, 'stuckAfter');

  const maxConcurrency = integerAtLeast(options.maxConcurrency, 'maxConcurrency', 1, DEFAULTS.maxConcurrency);
  const coordination = validateCoordination(options.coordination, schedule, context, name);
  if (coordination === 'exclusive' && maxConcurrency > 1) {
    throw new InvalidOptionError('maxConcurrency', options.maxConcurrency, `Expected \`maxConcurrency\` to be 1 for job ${JSON.stringify(name)} under \`coordination: 'exclusive'\` (its lease admits one run across all replicas, this one included), got ${describeValue(options.maxConcurrency)}`);
  }
  const catchUpWindowMs = validateCatchUp(options.catchUp, schedule, coordination, name);
  const policy = usesDefaultPolicy(raw) ? defaultPolicy(coordination) : shared({
    initialDelayMs: options.initialDelay === undefined ? undefined : parseDuration(options.initialDelay, 'initialDelay', 'non-negative'),
    runOnStart: optionalBoolean(options.runOnStart, 'runOnStart', DEFAULTS.runOnStart),
    jitterMs,
    maxRuns: integerAtLeast(options.maxRuns, 'maxRuns', 1, DEFAULTS.maxRuns, true),
    maxConcurrency,
    overlap,
    maxBuffered: integerAtLeast(options.maxBuffered, 'maxBuffered', 1, DEFAULTS.maxBuffered),
    timeoutMs,
    stuckAfterMs,
    retry: validateRetry(options.retry),
    maxConsecutiveFailures: integerAtLeast(options.maxConsecutiveFailures, 'maxConsecutiveFailures', 1, DEFAULTS.maxConsecutiveFailures, true),
    coordination,
    leaseTtlMs: options.leaseTtl === undefined ? DEFAULTS.leaseTtlMs : parseDuration(options.leaseTtl, 'leaseTtl'),
    catchUpWindowMs,
  });
  // A copy: the caller may reuse or change its object after add(). Options that are only a
  // name, a task and a fixed rate are kept as nothing: the config says all of them.
  return { name, run: options.run, schedule, policy, source: onlyFixedRate(raw) ? undefined : { ...options } };
}

/** Whether the options given are a name, a task and `fixedRate`, and nothing else. */
function onlyFixedRate(raw: Record<string, unknown>): boolean {
  for (const key in raw) if (raw[key] !== undefined && key !== 'name' && key !== 'run' && key !== 'fixedRate') return false;
  return true;
}

/**
 * The options a job was given: kept as given, or — for a name, a task and `fixedRate` only (100k
 * alike jobs keep no copy each) — rebuilt from the config, the period in milliseconds.
 */
function sourceOf(config: JobConfig): JobOptions {
  return config.source ?? { name: config.name, run: config.run, fixedRate: config.schedule.periodMs! };
}

/** The options a job's policy is made of (besides `coordination`). */
const POLICY_KEYS = [
  'initialDelay', 'runOnStart', 'jitter', 'maxRuns', 'maxConcurrency', 'overlap', 'maxBuffered', 'timeout', 'stuckAfter',
  'retry', 'maxConsecutiveFailures', 'leaseTtl', 'catchUp',
] as const;

const POLICY_KEY_SET: ReadonlySet<string> = new Set(POLICY_KEYS);

/**
 * Whether none of the policy's options was given: the common case, served without building a
 * policy. Walks the keys given (a few) rather than looking up every policy option (misses cost).
 */
function usesDefaultPolicy(raw: Record<string, unknown>): boolean {
  for (const key in raw) if (POLICY_KEY_SET.has(key) && raw[key] !== undefined) return false;
  return true;
}

const DEFAULT_POLICIES = new Map<CoordinationMode, JobPolicy>();

/** The policy of a job that gave none of its options, for each coordination mode. */
function defaultPolicy(coordination: CoordinationMode): JobPolicy {
  let policy = DEFAULT_POLICIES.get(coordination);
  if (policy === undefined) {
    policy = Object.freeze({
      initialDelayMs: undefined, runOnStart: DEFAULTS.runOnStart, jitterMs: DEFAULTS.jitterMs, maxRuns: DEFAULTS.maxRuns,
      maxConcurrency: DEFAULTS.maxConcurrency, overlap: DEFAULTS.overlap, maxBuffered: DEFAULTS.maxBuffered, timeoutMs: undefined,
      stuckAfterMs: undefined, retry: NO_RETRY, maxConsecutiveFailures: DEFAULTS.maxConsecutiveFailures, coordination,
      leaseTtlMs: DEFAULTS.leaseTtlMs, catchUpWindowMs: undefined,
    });
    DEFAULT_POLICIES.set(coordination, policy);
  }
  return policy;
}

/** Policies seen so far, by their values; bounded, so that a stream of one-off policies cannot grow it. */
const POLICIES = new Map<string, JobPolicy>();
const MAX_SHARED_POLICIES = 1_024;

/** The shared policy equal to `policy`, when there is one to share (a custom retry policy is the job's own). */
function shared(policy: JobPolicy): JobPolicy {
  if (policy.retry !== NO_RETRY) return Object.freeze(policy);
  const key = `${policy.initialDelayMs}|${policy.runOnStart}|${policy.jitterMs}|${policy.maxRuns}|${policy.maxConcurrency}|${policy.overlap}|${policy.maxBuffered}|${policy.timeoutMs}|${policy.stuckAfterMs}|${policy.maxConsecutiveFailures}|${policy.coordination}|${policy.leaseTtlMs}|${policy.catchUpWindowMs}`;
  const known = POLICIES.get(key);
  if (known !== undefined) return known;
  const frozen = Object.freeze(policy);
  if (POLICIES.size < MAX_SHARED_POLICIES) POLICIES.set(key, frozen);
  return frozen;
}

function onlyFor(raw: Record<string, unknown>, option: string, kind: ScheduleKind, kinds: readonly ScheduleKind[], name: string): void {
  if (raw[option] === undefined || kinds.includes(kind)) return;
  throw new InvalidOptionError(option, raw[option], `\`${option}\` applies to ${kinds.map((k) => `\`${k}\``).join(' and ')} schedules only; job ${JSON.stringify(name)} uses \`${kind}\`, got ${describeValue(raw[option])}`);
}

function validateCoordination(value: unknown, schedule: Schedule, context: JobContext, name: string): CoordinationMode {
  const fallback: CoordinationMode = !context.coordinated ? 'local' : schedule.chained ? 'exclusive' : 'per-tick';
  const mode = oneOf(value, 'coordination', COORDINATION_MODES, fallback);
  if (mode !== 'local' && !context.coordinated) {
    throw new InvalidOptionError('coordination', value, `\`coordination: '${mode}'\` needs a coordinator: pass createScheduler({ coordinator }) (job ${JSON.stringify(name)})`);
  }
  if (mode === 'per-tick' && schedule.chained) {
    throw new InvalidOptionError('coordination', value, `Expected \`coordination\` of fixedDelay job ${JSON.stringify(name)} to be 'exclusive' (one replica leads the job) or 'local', got 'per-tick': a fixedDelay job has no shared slots to claim per tick`);
  }
  return mode;
}

function validateCatchUp(value: unknown, schedule: Schedule, coordination: CoordinationMode, name: string): number | undefined {
  if (value === undefined) return undefined;
  requireObject(value, 'catchUp');
  rejectUnknownKeys(value, ['window'], '`catchUp`');
  const windowMs = parseDuration(value.window, 'catchUp.window');
  if (schedule.chained || schedule.kind === 'at') {
    throw new InvalidOptionError('catchUp', value, `\`catchUp\` applies to \`fixedRate\` and \`cron\` schedules only (they have slots to catch up on); job ${JSON.stringify(name)} uses \`${schedule.kind}\`, got ${describeValue(value)}`);
  }
  if (coordination === 'local') {
    throw new InvalidOptionError('catchUp', value, `\`catchUp\` needs a coordinated job (a coordinator and \`coordination\` other than 'local'): only the store can tell whether a replica ran the slot; job ${JSON.stringify(name)}, got ${describeValue(value)}`);
  }
  return windowMs;
}

/** The retry config of every job that has none: shared, so it costs no object and closure per job. */
const NO_RETRY: RetryConfig = Object.freeze({ attempts: 1, delayMs: () => 0, retryIf: undefined });

function validateRetry(retry: unknown): RetryConfig {
  if (retry === undefined) return NO_RETRY;
  requireObject(retry, 'retry');
  rejectUnknownKeys(retry, RETRY_KEYS, '`retry`');
  if (typeof retry.attempts !== 'number' || !Number.isInteger(retry.attempts) || retry.attempts < 1) {
    throw new InvalidOptionError('retry.attempts', retry.attempts, `Expected \`retry.attempts\` to be a finite integer >= 1 (tries in all, the first included), got ${describeValue(retry.attempts)}`);
  }
  if (retry.retryIf !== undefined && typeof retry.retryIf !== 'function') {
    throw new InvalidOptionError('retry.retryIf', retry.retryIf, `Expected \`retry.retryIf\` to be a function, got ${describeValue(retry.retryIf)}`);
  }
  return { attempts: retry.attempts, delayMs: validateBackoff(retry.backoff), retryIf: retry.retryIf as RetryConfig['retryIf'] };
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
export function validateJobUpdate(current: JobConfig, update: unknown, context: JobContext): JobConfig {
  requireObject(update, 'update');
  if ('name' in update) {
    throw new InvalidOptionError('name', update.name, 'A job cannot be renamed by `update()`; remove it and add it under the new name');
  }
  rejectUnknownKeys(update, JOB_KEYS, 'job update');
  const merged: Record<string, unknown> = { ...sourceOf(current) };
  if (SCHEDULE_KEYS.some((key) => update[key] !== undefined)) {
    for (const key of SCHEDULE_KEYS) delete merged[key];
    if (update.cron === undefined) delete merged.timezone;
    if (update.fixedRate === undefined) delete merged.phase;
    if (update.fixedRate === undefined && update.fixedDelay === undefined) delete merged.initialDelay;
  }
  for (const [key, value] of Object.entries(update)) merged[key] = value;
  if (merged.overlap !== 'buffer-all' && update.overlap !== undefined && update.maxBuffered === undefined) delete merged.maxBuffered;
  return validateJobOptions(merged, context);
}
