import { parseDuration, parsePeriod } from '../duration.js';
import { InvalidOptionError } from '../errors.js';
import { describeValue } from '../describe-value.js';
import { DEFAULTS, LIMITS } from '../options/defaults.js';
import type { Schedule, ScheduleKind } from './schedule.js';
import { fixedRateSchedule } from './fixed-rate.js';
import { fixedDelaySchedule } from './fixed-delay.js';
import { cronSchedule } from './cron.js';
import { atSchedule } from './at.js';

/** The schedule options of a job, as given. */
export interface ScheduleInput {
  readonly kind: ScheduleKind;
  readonly value: unknown;
  readonly timezone: string | undefined;
  readonly phase: unknown;
}

/** Builds the schedule of a job's options, refusing bad values with a typed error. */
export function createSchedule({ kind, value, timezone, phase }: ScheduleInput): Schedule {
  switch (kind) {
    case 'fixedRate': {
      const periodMs = parsePeriod(value, 'fixedRate');
      const phaseMs = phase === undefined ? DEFAULTS.phaseMs : parseDuration(phase, 'phase', 'non-negative');
      if (phaseMs >= periodMs || !Number.isInteger(phaseMs)) {
        throw new InvalidOptionError('phase', phase, `Expected \`phase\` to be a whole number of milliseconds below the period (${periodMs} ms), got ${describeValue(phase)}`);
      }
      return fixedRateSchedule(periodMs, phaseMs);
    }
    case 'fixedDelay':
      return fixedDelaySchedule(parsePeriod(value, 'fixedDelay'));
    case 'cron':
      return cronSchedule(value, timezone);
    case 'at': {
      const ms = value instanceof Date ? value.getTime() : value;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || Math.abs(ms) > LIMITS.maxEpochMs) {
        throw new InvalidOptionError('at', value, `Expected \`at\` to be a valid Date or epoch milliseconds within ±${LIMITS.maxEpochMs} (the range of a Date), got ${describeValue(value)}`);
      }
      return atSchedule(ms);
    }
  }
}
