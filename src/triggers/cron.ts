import { Cron } from 'croner';
import { InvalidCronError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import type { Trigger } from './trigger.js';

/** Beyond this many missed ticks in one stall, counting stops and the schedule jumps ahead. */
const MAX_COUNTED_MISSES = 10_000;

/**
 * A cron schedule of 5 fields (minute precision) or 6 (seconds first), in a time zone. Parsing
 * and date matching, DST included, are croner's; this module only asks it for due times.
 */
export function cronTrigger(pattern: unknown, timezone: string | undefined): Trigger {
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
  const nextAfter = (time: number): number | null => cron.nextRun(new Date(time))?.getTime() ?? null;
  if (nextAfter(Date.UTC(2000, 0, 1)) === null) {
    throw new InvalidCronError('cron', pattern, `Cron expression ${JSON.stringify(pattern)} never matches a date`);
  }

  return {
    kind: 'cron',
    domain: 'wall',
    description: `cron ${pattern}${timezone ? ` (${timezone})` : ''}`,
    first: (start) => nextAfter(start),
    catchUp(due, now) {
      let fire = due;
      let missed = 0;
      let next = nextAfter(due);
      while (next !== null && next <= now) {
        if (missed === MAX_COUNTED_MISSES) {
          // A stall this long is reported as its first MAX_COUNTED_MISSES; the rest are not walked.
          fire = cron.previousRuns(1, new Date(now + 1))[0]?.getTime() ?? next;
          next = nextAfter(fire);
          break;
        }
        fire = next;
        missed += 1;
        next = nextAfter(next);
      }
      return { fire, missed, next };
    },
    afterSettle: () => null,
    following: nextAfter,
    rebase: (lastDue, now) => nextAfter(Math.max(lastDue, now - 1)),
  };
}

function validateTimezone(timezone: unknown): void {
  try {
    if (typeof timezone !== 'string') throw new TypeError('not a string');
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch (error) {
    throw new InvalidCronError('timezone', timezone, `Expected \`timezone\` to be an IANA time zone such as 'Europe/Berlin', got ${describeValue(timezone)}`, error);
  }
}
