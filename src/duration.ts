import { InvalidDurationError } from './errors.js';
import { describeValue } from './describe-value.js';
import { LIMITS } from './options/defaults.js';

/**
 * A span of time: milliseconds as a number, or a string of a number and a unit,
 * such as `'250ms'`, `'10s'`, `'1.5m'`, `'1h'`, `'1d'`. Units may be combined: `'1m30s'`,
 * `'1m 30s'`, `'1h30m15s'`. A string the parser would refuse (`'10 seconds'`) does not compile;
 * a string known only at run time (an environment variable) goes through {@link isDuration}
 * first. JavaScript callers get the same check at run time: an {@link InvalidDurationError}.
 */
export type Duration = number | DurationString;

/** Units accepted in duration strings. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

/** One number and its unit: `'250ms'`, `'1.5m'`. */
export type DurationPart = `${number}${DurationUnit}`;

/**
 * The duration strings the types accept: a number of milliseconds (`'250'`), one part, or up to
 * three parts (two may be separated by a space). The parser takes any number of parts; longer
 * ones are rare enough to be written as milliseconds.
 */
export type DurationString =
  | `${number}`
  | DurationPart
  | `${DurationPart}${DurationPart}`
  | `${DurationPart} ${DurationPart}`
  | `${DurationPart}${DurationPart}${DurationPart}`;

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d)\s*)+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Whether zero is an acceptable value of the option being parsed. */
export type DurationBound = 'positive' | 'non-negative';

/**
 * Parses a {@link Duration} into milliseconds, refusing anything that is not a finite number
 * within the bound. `option` names the option in the error message.
 */
export function parseDuration(value: unknown, option: string, bound: DurationBound = 'positive'): number {
  const ms = toMilliseconds(value);
  const expected = bound === 'positive' ? 'a positive duration' : 'a duration >= 0';
  if (ms === undefined) {
    throw new InvalidDurationError(
      option,
      value,
      `Expected \`${option}\` to be ${expected} (milliseconds, or a string such as '250ms', '10s', '5m', '1h', '1d'), got ${describeValue(value)}`,
    );
  }
  if (!Number.isFinite(ms) || ms < 0 || (bound === 'positive' && ms === 0)) {
    throw new InvalidDurationError(option, value, `Expected \`${option}\` to be ${expected}, got ${describeValue(value)}`);
  }
  if (ms > LIMITS.maxDurationMs) {
    throw new InvalidDurationError(option, value, `Expected \`${option}\` to be at most ${LIMITS.maxDurationMs} ms (the range of a Date, about 273,790 years), got ${describeValue(value)}`);
  }
  return ms;
}

/**
 * Parses the period of a fixedRate or fixedDelay schedule: a whole number of milliseconds, at
 * least {@link LIMITS.minPeriodMs}. Due times are whole milliseconds, so a shorter or fractional
 * period could not advance them by what it says.
 */
export function parsePeriod(value: unknown, option: string): number {
  const ms = parseDuration(value, option);
  if (ms < LIMITS.minPeriodMs || !Number.isInteger(ms)) {
    throw new InvalidDurationError(option, value, `Expected \`${option}\` to be a whole number of milliseconds >= ${LIMITS.minPeriodMs} (due times are whole milliseconds), got ${describeValue(value)}`);
  }
  return ms;
}

function toMilliseconds(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text);
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART)) {
    total += Number(match[1]) * UNIT_MS[match[2] as DurationUnit];
  }
  return total;
}

/**
 * Whether `value` is a duration the parser accepts: a finite number >= 0, or a string such as
 * `'10s'`. Narrows a string from configuration to {@link Duration}.
 *
 * @example
 * ```ts
 * const every = process.env.REFRESH_EVERY ?? '10s';
 * if (!isDuration(every)) throw new Error(`REFRESH_EVERY: not a duration: ${every}`);
 * scheduler.add({ name: 'refresh', fixedRate: every, run });
 * ```
 */
export function isDuration(value: unknown): value is Duration {
  const ms = toMilliseconds(value);
  return ms !== undefined && Number.isFinite(ms) && ms >= 0 && ms <= LIMITS.maxDurationMs;
}

/** Formats milliseconds compactly for messages and snapshots: `1500` → `'1.5s'`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit];
    if (ms >= size && Number.isInteger((ms / size) * 1000)) {
      return `${Number((ms / size).toFixed(3))}${unit}`;
    }
  }
  return `${ms}ms`;
}
