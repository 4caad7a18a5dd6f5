import { describe, expect, it } from 'vitest';
import {
  createScheduler,
  DuplicateJobError,
  InvalidCronError,
  InvalidDurationError,
  InvalidOptionError,
  TestClock,
  TickguardError,
  type JobOptions,
} from '../src/index.js';

const run = () => {};

function refusal(options: unknown): TickguardError {
  const scheduler = createScheduler({ clock: new TestClock() });
  try {
    scheduler.add(options as JobOptions);
  } catch (error) {
    expect(scheduler.jobs()).toEqual([]);
    expect(scheduler.inspect().jobs).toEqual([]);
    expect(error).toBeInstanceOf(TickguardError);
    return error as TickguardError;
  }
  throw new Error('add() accepted invalid options');
}

describe('bad input is refused at the call site', () => {
  it.each([
    [{ name: 'a', cron: '61 * * * *', run }, InvalidCronError, /minute/],
    [{ name: 'a', cron: '* * *', run }, InvalidCronError, /expected 5 fields .* got 3/],
    [{ name: 'a', cron: '* * * * * * *', run }, InvalidCronError, /got 7/],
    [{ name: 'a', cron: '0 0 31 2 *', run }, InvalidCronError, /never matches/],
    [{ name: 'a', cron: '* * * * *', timezone: 'Mars/Olympus', run }, InvalidCronError, /Mars\/Olympus/],
    [{ name: 'a', fixedRate: 0, run }, InvalidDurationError, /`fixedRate`.*0 \(number\)/],
    [{ name: 'a', fixedRate: -10, run }, InvalidDurationError, /-10/],
    [{ name: 'a', fixedRate: NaN, run }, InvalidDurationError, /NaN/],
    [{ name: 'a', fixedDelay: Infinity, run }, InvalidDurationError, /Infinity/],
    [{ name: 'a', fixedRate: '10 parsecs', run }, InvalidDurationError, /"10 parsecs"/],
    [{ name: 'a', at: new Date('nope'), run }, InvalidOptionError, /Invalid Date/],
    [{ name: 'a', run }, InvalidOptionError, /needs a schedule/],
    [{ name: 'a', fixedRate: '1s', cron: '* * * * *', run }, InvalidOptionError, /2 schedules/],
    [{ name: 'a', fixedRate: '1s' }, InvalidOptionError, /`run`.*undefined/],
    [{ name: '', fixedRate: '1s', run }, InvalidOptionError, /`name`/],
    [{ name: 'a', fixedRate: '1s', maxConcurrency: 0, run }, InvalidOptionError, /`maxConcurrency`.*>= 1/],
    [{ name: 'a', fixedRate: '1s', maxConcurrency: 1.5, run }, InvalidOptionError, /1\.5/],
    [{ name: 'a', fixedRate: '1s', overlap: 'queue', run }, InvalidOptionError, /one of 'skip'/],
    [{ name: 'a', fixedRate: '1s', overlap: 'buffer-al', run }, InvalidOptionError, /did you mean 'buffer-all'/],
    [{ name: 'a', fixedRate: '1s', maxBuffered: 5, run }, InvalidOptionError, /buffer-all/],
    [{ name: 'a', fixedRate: '1s', timeout: '0s', run }, InvalidDurationError, /`timeout`/],
    [{ name: 'a', fixedRate: '1s', retry: { attempts: 0 }, run }, InvalidOptionError, /`retry.attempts`/],
    [{ name: 'a', fixedRate: '1s', retry: { attempts: 2, backof: 5 }, run }, InvalidOptionError, /did you mean `backoff`/],
    [{ name: 'a', fixedRate: '1s', timezone: 'UTC', run }, InvalidOptionError, /`timezone` applies to `cron`/],
    [{ name: 'a', fixdRate: '1s', run }, InvalidOptionError, /Unknown option `fixdRate`.*did you mean `fixedRate`/],
    [{ name: 'a', fixedRate: '1s', maxConcurency: 2, run }, InvalidOptionError, /did you mean `maxConcurrency`/],
    [{ name: 'a', fixedRate: '1s', runOnStart: 'yes', run }, InvalidOptionError, /`runOnStart`.*boolean/],
    [null, InvalidOptionError, /object/],
  ])('%j', (options, type, message) => {
    const error = refusal(options);
    expect(error).toBeInstanceOf(type);
    expect(error.message).toMatch(message);
    expect(error.code).toMatch(/^ERR_TICKGUARD_/);
  });

  it('refuses a duplicate name and keeps the first job', () => {
    const scheduler = createScheduler({ clock: new TestClock() });
    const first = scheduler.add({ name: 'dup', fixedRate: '1s', run });
    expect(() => scheduler.add({ name: 'dup', fixedRate: '2s', run })).toThrow(DuplicateJobError);
    expect(scheduler.get('dup')).toBe(first);
    expect(scheduler.jobs()).toHaveLength(1);
  });

  it('refuses unknown scheduler and stop options', async () => {
    expect(() => createScheduler({ clok: new TestClock() } as never)).toThrow(/did you mean `clock`/);
    expect(() => createScheduler({ logger: console as never })).toThrow(/pino-compatible/);
    const scheduler = createScheduler({ clock: new TestClock() });
    expect(() => scheduler.stop({ timout: 5 } as never)).toThrow(/did you mean `timeout`/);
    expect(() => scheduler.stop({ timeout: -1 })).toThrow(InvalidDurationError);
    await scheduler.stop();
  });

  it('names the offending option and value on the error object', () => {
    const error = refusal({ name: 'a', fixedRate: '1s', maxConcurrency: -2, run });
    expect(error).toMatchObject({ option: 'maxConcurrency', value: -2, code: 'ERR_TICKGUARD_INVALID_OPTION' });
  });
});
