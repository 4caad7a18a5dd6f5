import { Cron } from 'croner';
import { InvalidCronError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { LIMITS } from '../options/defaults.js';
import type { Schedule } from './schedule.js';
import { localTimeZone, repeatsEarlierWallTime } from './wall-time.js';

/**
 * A cron schedule of 5 fields (minute precision) or 6 (seconds first), in a time zone. Parsing
 * and date matching are croner's; this module asks it for due times and adds one rule croner
 * does not keep for every pattern: when the clocks fall back, a pattern that names its hours
 * runs each local wall time of the repeated hour once, at its first instant — whatever the
 * shape of the pattern. croner already runs `30 1 * * *` once but `0,30 1 * * *` or
 * `30 1-3 * * *` twice. The first instant is the one croner picks for the single-time case.
 * A pattern whose hour field is a wildcard (`*`, `*\/2`: hourly or more often) keeps its
 * real-time rhythm through the repeated hour instead, as Vixie cron does: an hourly job must
 * not skip an hour.
 */
class CronSchedule implements Schedule {
  readonly kind = 'cron';
  readonly chained = false;
  readonly periodMs = undefined;
  readonly #cron: Cron;
  readonly #pattern: string;
  readonly #timezone: string | undefined;
  readonly #zone: string;
  /** Whether the pattern names its hours, so that a repeated wall time must not run twice. */
  readonly #namesHours: boolean;

  constructor(cron: Cron, pattern: string, timezone: string | undefined) {
    this.#cron = cron;
    this.#pattern = pattern;
    this.#timezone = timezone;
    this.#zone = timezone ?? localTimeZone();
    this.#namesHours = namesHours(pattern);
  }

  get description(): string {
    return `cron ${this.#pattern}${this.#timezone ? ` (${this.#timezone})` : ''}`;
  }

  first(addedAt: number): number | null {
    return this.next(addedAt);
  }

  next(after: number): number | null {
    let due = this.#nextRun(after);
    while (due !== null && this.#repeated(due)) due = this.#nextRun(due);
    return due;
  }

  latest(at: number): number | null {
    let due = this.#previousRun(at + 1);
    while (due !== null && this.#repeated(due)) due = this.#previousRun(due);
    return due;
  }

  #repeated(due: number): boolean {
    return this.#namesHours && repeatsEarlierWallTime(due, this.#zone);
  }

  #nextRun(after: number): number | null {
    const due = this.#cron.nextRun(new Date(after))?.getTime() ?? null;
    return due !== null && due <= LIMITS.maxEpochMs ? due : null;
  }

  /** The latest run strictly before `before`. */
  #previousRun(before: number): number | null {
    return this.#cron.previousRuns(1, new Date(before))[0]?.getTime() ?? null;
  }
}

/** Parses a cron schedule, refusing bad patterns and zones with an {@link InvalidCronError}. */
export function cronSchedule(pattern: unknown, timezone: string | undefined): Schedule {
  if (typeof pattern !== 'string' || pattern.trim() === '') {
    throw new InvalidCronError('cron', pattern, `Expected \`cron\` to be a cron expression such as '*/5 * * * *', got ${describeValue(pattern)}`);
  }
  const fields = pattern.trim().split(/\s+/);
  if (!pattern.trim().startsWith('@') && fields.length !== 5 && fields.length !== 6) {
    throw new InvalidCronError('cron', pattern, `Invalid cron expression ${JSON.stringify(pattern)}: expected 5 fields (minute hour day month weekday) or 6 (with seconds first), got ${fields.length}`);
  }
  if (timezone !== undefined) validateTimezone(timezone);
  let cron: Cron;
  try {
    cron = new Cron(pattern, { paused: true, timezone });
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern:\s*/, '') : String(error);
    throw new InvalidCronError('cron', pattern, `Invalid cron expression ${JSON.stringify(pattern)}: ${reason}`, error);
  }
  if (cron.nextRun(new Date(Date.UTC(2000, 0, 1))) === null) {
    throw new InvalidCronError('cron', pattern, `Cron expression ${JSON.stringify(pattern)} never matches a date`);
  }
  return new CronSchedule(cron, pattern, timezone);
}

/** Whether the hour field is something other than a wildcard (`@hourly` is one; the other nicknames name hour 0). */
function namesHours(pattern: string): boolean {
  const trimmed = pattern.trim();
  if (trimmed.startsWith('@')) return trimmed.toLowerCase() !== '@hourly';
  const fields = trimmed.split(/\s+/);
  const hour = fields[fields.length === 6 ? 2 : 1] ?? '*';
  return !hour.startsWith('*');
}

function validateTimezone(timezone: unknown): void {
  try {
    if (typeof timezone !== 'string') throw new TypeError('not a string');
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch (error) {
    throw new InvalidCronError('timezone', timezone, `Expected \`timezone\` to be an IANA time zone such as 'Europe/Berlin', got ${describeValue(timezone)}`, error);
  }
}
