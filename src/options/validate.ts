/**
 * Option checks shared by the core and the integrations. Messages name the option, what was
 * expected and what was received (``Expected `x` to be …, got `y` (type)``).
 *
 * Dependency-free on purpose: an integration's bundle that imports this does not pull in the
 * cron library or the engine.
 */
import { InvalidOptionError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { closest } from '../closest.js';

/** Key lists seen before, as sets: checking an option name is a hash lookup (add() is on the setup path of 100k jobs). */
const KNOWN_SETS = new WeakMap<readonly string[], ReadonlySet<string>>();

function knownSet(known: readonly string[]): ReadonlySet<string> {
  let set = KNOWN_SETS.get(known);
  if (set === undefined) KNOWN_SETS.set(known, (set = new Set(known)));
  return set;
}

/** Refuses keys of `value` that are not in `known`, suggesting the nearest valid one. */
export function rejectUnknownKeys(value: object, known: readonly string[], where: string): void {
  const set = knownSet(known);
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key) || set.has(key)) continue;
    const suggestion = closest(key, known);
    throw new InvalidOptionError(
      key,
      (value as Record<string, unknown>)[key],
      `Unknown option \`${key}\` in ${where}${suggestion ? `; did you mean \`${suggestion}\`?` : '.'} Valid options: ${known.join(', ')}`,
    );
  }
}

/** Asserts a plain object (not null, not an array). */
export function requireObject(value: unknown, option: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(option, value, `Expected \`${option}\` to be an object, got ${describeValue(value)}`);
  }
}

/**
 * Returns `input` as a record of options (`{}` when `undefined`), refusing anything that is not
 * a plain object and any key not in `known`.
 */
export function optionsObject(input: unknown, known: readonly string[], where: string): Record<string, unknown> {
  if (input === undefined) return {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidOptionError('options', input, `Expected the options of ${where} to be an object, got ${describeValue(input)}`);
  }
  rejectUnknownKeys(input, known, where);
  return input as Record<string, unknown>;
}

/** An integer >= `min`, or `fallback` when `undefined`. `Infinity` only where `allowInfinity` says so. */
export function integerAtLeast(value: unknown, option: string, min: number, fallback: number, allowInfinity = false): number {
  if (value === undefined) return fallback;
  if (value === Infinity && allowInfinity) return Infinity;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(option, value, `Expected \`${option}\` to be ${allowInfinity ? 'an integer' : 'a finite integer'} >= ${min}${allowInfinity ? ' or Infinity' : ''}, got ${describeValue(value)}`);
  }
  return value;
}

/** A boolean, or `fallback` when `undefined`. */
export function optionalBoolean(value: unknown, option: string, fallback = false): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidOptionError(option, value, `Expected \`${option}\` to be a boolean, got ${describeValue(value)}`);
  return value;
}

/** One of `allowed`, or `fallback` when `undefined`; a near miss gets a suggestion. */
export function oneOf<T extends string>(value: unknown, option: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  const suggestion = typeof value === 'string' ? closest(value, allowed) : undefined;
  throw new InvalidOptionError(option, value, `Expected \`${option}\` to be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describeValue(value)}${suggestion ? `; did you mean '${suggestion}'?` : ''}`);
}

/** Whether `value` is an object (or function) with every one of `methods`. */
export function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return (typeof value === 'object' || typeof value === 'function') && value !== null &&
    methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function');
}

/** Refuses a value that lacks any of `methods`. */
export function requireMethods(value: unknown, methods: readonly string[], option: string, expected: string): void {
  if (!hasMethods(value, methods)) throw new InvalidOptionError(option, value, `Expected \`${option}\` to be ${expected}, got ${describeValue(value)}`);
}
