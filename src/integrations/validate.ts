/**
 * Option checks of the integrations: the core's own dependency-free validators (so the
 * messages are the same), plus the few that only integrations need.
 */
import { InvalidOptionError } from '../errors.js';
import { describeValue } from '../describe-value.js';

export { optionsObject, requireMethods } from '../options/validate.js';

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
