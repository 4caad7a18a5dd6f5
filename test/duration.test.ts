import { describe, expect, it } from 'vitest';
import { formatDuration, InvalidDurationError, parseDuration } from '../src/index.js';

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
