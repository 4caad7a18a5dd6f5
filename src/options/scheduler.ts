/** Validation of `createScheduler()` and `stop()`/`remove()` options. */
import { parseDuration } from '../duration.js';
import { InvalidOptionError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Coordinator } from '../coordination/contract.js';
import { DEFAULTS } from './defaults.js';
import type { SchedulerOptions } from './types.js';
import { hasMethods, oneOf, optionalBoolean, rejectUnknownKeys, requireObject } from './validate.js';

const SCHEDULER_KEYS = ['clock', 'logger', 'unref', 'coordinator', 'claimTimeout', 'onCoordinatorError'] as const;
const STOP_KEYS = ['timeout', 'abort'] as const;

/** Validated scheduler options. */
export interface SchedulerConfig {
  readonly clock: Clock | undefined;
  readonly logger: Logger | undefined;
  readonly unref: boolean;
  readonly coordinator: Coordinator | undefined;
  readonly claimTimeoutMs: number;
  readonly onCoordinatorError: 'skip' | 'run';
}

/** Validates `createScheduler()` options. */
export function validateSchedulerOptions(input: unknown): SchedulerConfig {
  if (input === undefined) return { clock: undefined, logger: undefined, unref: DEFAULTS.unref, coordinator: undefined, claimTimeoutMs: DEFAULTS.claimTimeoutMs, onCoordinatorError: DEFAULTS.onCoordinatorError };
  requireObject(input, 'options');
  rejectUnknownKeys(input, SCHEDULER_KEYS, 'scheduler options');
  const { clock, logger, coordinator, claimTimeout } = input as Partial<SchedulerOptions>;
  if (clock !== undefined && !hasMethods(clock, ['now', 'wallNow', 'setTimer', 'clearTimer'])) {
    throw new InvalidOptionError('clock', clock, `Expected \`clock\` to implement now(), wallNow(), setTimer() and clearTimer(), got ${describeValue(clock)}`);
  }
  if (clock?.random !== undefined && typeof clock.random !== 'function') {
    throw new InvalidOptionError('clock.random', clock.random, `Expected \`clock.random\` to be a function returning a number in [0, 1), got ${describeValue(clock.random)}`);
  }
  if (logger !== undefined && !hasMethods(logger, ['child', 'debug', 'info', 'warn', 'error'])) {
    throw new InvalidOptionError('logger', logger, `Expected \`logger\` to be pino-compatible (child, debug, info, warn, error), got ${describeValue(logger)}`);
  }
  if (coordinator !== undefined && !hasMethods(coordinator, ['claim'])) {
    throw new InvalidOptionError('coordinator', coordinator, `Expected \`coordinator\` to have a claim() method, got ${describeValue(coordinator)}`);
  }
  return {
    clock,
    logger,
    unref: optionalBoolean(input.unref, 'unref', DEFAULTS.unref),
    coordinator,
    claimTimeoutMs: claimTimeout === undefined ? DEFAULTS.claimTimeoutMs : parseDuration(claimTimeout, 'claimTimeout'),
    onCoordinatorError: oneOf(input.onCoordinatorError, 'onCoordinatorError', ['skip', 'run'] as const, DEFAULTS.onCoordinatorError),
  };
}

/** Validated `stop()`/`remove()` options. */
export interface StopConfig {
  readonly timeoutMs: number;
  readonly abort: boolean;
}

/** Validates `stop()`/`remove()` options. */
export function validateStopOptions(input: unknown, defaultAbort: boolean): StopConfig {
  if (input === undefined) return { timeoutMs: DEFAULTS.stopTimeoutMs, abort: defaultAbort };
  requireObject(input, 'options');
  rejectUnknownKeys(input, STOP_KEYS, 'stop options');
  return {
    timeoutMs: input.timeout === undefined ? DEFAULTS.stopTimeoutMs : parseDuration(input.timeout, 'timeout', 'non-negative'),
    abort: optionalBoolean(input.abort, 'abort', defaultAbort),
  };
}
