import { describe, expect, it } from 'vitest';
import { createScheduler, formatDuration, InvalidDurationError, isDuration, parseDuration, TestClock, type Duration } from '../src/index.js';

describe('parseDuration', () => {
  it.each([
    [250, 250],
    ['250ms', 250],
    ['10s', 10_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1m30s', 90_000],
    ['42', 42],
  ])('reads %j as %d ms', (input, expected) => {
    expect(parseDuration(input, 'fixedRate')).toBe(expected);
  });

  it.each([0, -1, NaN, Infinity, -Infinity, '', '10x', 'ten seconds', '-5s', '0s', null, {}, [], true])(
    'refuses %j for a positive duration, naming the option and value',
    (input) => {
      const error = (() => {
        try {
          parseDuration(input, 'fixedRate');
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(InvalidDurationError);
      expect((error as InvalidDurationError).option).toBe('fixedRate');
      expect((error as InvalidDurationError).message).toContain('`fixedRate`');
      expect((error as InvalidDurationError).code).toBe('ERR_TICKGUARD_INVALID_DURATION');
    },
  );

  it('accepts zero where the bound is non-negative', () => {
    expect(parseDuration(0, 'jitter', 'non-negative')).toBe(0);
    expect(parseDuration('0ms', 'jitter', 'non-negative')).toBe(0);
    expect(() => parseDuration(-1, 'jitter', 'non-negative')).toThrow(/`jitter`.*-1 \(number\)/);
  });

  it('formats durations compactly', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(1_500)).toBe('1.5s');
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(86_400_000)).toBe('1d');
  });
});

describe('isDuration', () => {
  it.each([0, 250, 1.5, '250ms', '10s', '1m30s', '1m 30s', '42', ' 5s '])('accepts %j, as the parser does', (value) => {
    expect(isDuration(value)).toBe(true);
    expect(() => parseDuration(value, 'timeout', 'non-negative')).not.toThrow();
  });

  it.each([-1, NaN, Infinity, '', '10 seconds', '10 s', '10sec', '-5s', '1e3s', null, undefined, {}, [], true, '9'.repeat(30)])('refuses %j, as the parser does', (value) => {
    expect(isDuration(value)).toBe(false);
    expect(() => parseDuration(value, 'timeout', 'non-negative')).toThrow(InvalidDurationError);
  });

  it('lets a duration from configuration through to add(); a string the types let by is still refused at run time', () => {
    const scheduler = createScheduler({ clock: new TestClock() });
    const every: string = '2s';
    if (!isDuration(every)) throw new Error('not a duration');
    expect(scheduler.add({ name: 'configured', fixedRate: every, run: () => {} }).inspect().schedule).toMatchObject({ kind: 'fixedRate' });
    // '10 s' matches the template type `${number}s` ('10 ' reads as a number), the parser refuses it.
    const spaced: Duration = '10 s';
    expect(() => scheduler.add({ name: 'spaced', fixedRate: spaced, run: () => {} })).toThrow(InvalidDurationError);
  });
});
