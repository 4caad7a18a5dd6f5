/**
 * Option checks shared by the integrations, with the core's error messages: they name the
 * option, what was expected and what was received.
 *
 * Only dependency-free core modules are imported here, so that each integration's bundle stays
 * small (the core's `options.ts` would pull in the cron library).
 */
import { InvalidOptionError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { closest } from '../closest.js';

/**
 * Returns `input` as a record of options (`{}` when `undefined`), refusing anything that is not
 * a plain object and any key not in `known` (suggesting the nearest valid one).
 */
export function optionsObject(input: unknown, known: readonly string[], where: string): Record<string, unknown> {
  if (input === undefined) return {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidOptionError('options', input, `Expected the options of ${where} to be an object, got ${describeValue(input)}`);
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (known.includes(key)) continue;
    const suggestion = closest(key, known);
    throw new InvalidOptionError(
      key,
      record[key],
      `Unknown option \`${key}\` in ${where}${suggestion ? `; did you mean \`${suggestion}\`?` : ''} Valid options: ${known.join(', ')}`,
    );
  }
  return record;
}

/** Refuses a value that lacks any of `methods`. */
export function requireMethods(value: unknown, methods: readonly string[], option: string, expected: string): void {
  const ok = (typeof value === 'object' || typeof value === 'function') && value !== null &&
    methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function');
  if (!ok) throw new InvalidOptionError(option, value, `Expected \`${option}\` to be ${expected}, got ${describeValue(value)}`);
}

/** Refuses anything but a scheduler (duck-typed: `on`, `off`, `inspect`, `get`). */
export function requireScheduler(value: unknown, where: string): void {
  const ok = typeof value === 'object' && value !== null &&
    ['on', 'off', 'inspect', 'get'].every((method) => typeof (value as Record<string, unknown>)[method] === 'function');
  if (!ok) {
    throw new InvalidOptionError('scheduler', value, `Expected the first argument of ${where} to be a scheduler from createScheduler(), got ${describeValue(value)}`);
  }
}

/** Refuses anything but a strictly increasing list of positive finite numbers. */
export function bucketList(value: unknown, option: string, fallback: readonly number[]): number[] {
  if (value === undefined) return [...fallback];
  const ok = Array.isArray(value) && value.length > 0 &&
    value.every((v, i) => typeof v === 'number' && Number.isFinite(v) && v > 0 && (i === 0 || v > (value[i - 1] as number)));
  if (!ok) {
    throw new InvalidOptionError(option, value, `Expected \`${option}\` to be a non-empty, strictly increasing array of positive finite numbers (seconds), got ${describeValue(value)}`);
  }
  return [...(value as number[])];
}
