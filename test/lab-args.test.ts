import { describe, expect, it } from 'vitest';
import { LAB_USAGE, UsageError, parseLabArgs } from '../src/cli/lab/args.js';
import { STRATEGY_NAMES } from '../src/cli/lab/strategies.js';

describe('tickguard lab flags', () => {
  it('defaults to the demo settings: 20s per strategy, 100ms ticks, 150ms service, capacity 1, all strategies side by side', () => {
    expect(parseLabArgs([])).toEqual({
      durationMs: 20_000,
      intervalMs: 100,
      serviceTimeMs: 150,
      capacity: 1,
      strategies: [...STRATEGY_NAMES],
      parallel: STRATEGY_NAMES.length,
      json: false,
      out: 'tickguard-lab-report.html',
      help: false,
    });
  });

  it('derives the service time from the interval (1.5×) unless given', () => {
    expect(parseLabArgs(['--interval', '50ms']).serviceTimeMs).toBe(75);
    expect(parseLabArgs(['--interval', '50ms', '--service-time', '200ms']).serviceTimeMs).toBe(200);
  });

  it('accepts --flag value and --flag=value, and durations in any unit parseDuration knows', () => {
    const options = parseLabArgs(['--duration=1m30s', '--interval', '0.25s', '--capacity=3', '--json', '--out', 'r/x.html']);
    expect(options).toMatchObject({ durationMs: 90_000, intervalMs: 250, serviceTimeMs: 375, capacity: 3, json: true, out: 'r/x.html' });
  });

  it('keeps the canonical order of strategies and caps --parallel at their number', () => {
    const options = parseLabArgs(['--strategies', 'tickguard-serial, naive-setInterval,tickguard-serial', '--parallel', '8']);
    expect(options.strategies).toEqual(['naive-setInterval', 'tickguard-serial']);
    expect(options.parallel).toBe(2);
    expect(parseLabArgs(['--strategies', 'all']).strategies).toEqual([...STRATEGY_NAMES]);
  });

  it('--no-report writes no HTML; --help asks for the usage', () => {
    expect(parseLabArgs(['--no-report']).out).toBeNull();
    expect(parseLabArgs(['-h']).help).toBe(true);
    expect(parseLabArgs(['--help']).help).toBe(true);
  });

  it.each([
    [['--duraton', '2s'], 'Unknown option --duraton; did you mean --duration?'],
    [['--duration', 'soon'], 'Expected `--duration` to be a positive duration'],
    [['--duration', '0'], 'Expected `--duration` to be a positive duration'],
    [['--interval'], 'Option --interval needs a value'],
    [['--interval', '--json'], 'Option --interval needs a value'],
    [['--capacity', '0'], 'Expected --capacity to be an integer from 1 to 1000, got "0"'],
    [['--capacity', '1.5'], 'Expected --capacity to be an integer from 1 to 1000, got "1.5"'],
    [['--parallel', 'two'], 'Expected --parallel to be an integer from 1 to 16, got "two"'],
    [['--strategies', 'tickguard-serail'], 'Unknown strategy "tickguard-serail"; did you mean tickguard-serial?'],
    [['--strategies', ','], 'Expected --strategies to name at least one strategy'],
    [['--duration', '300ms', '--interval', '100ms'], 'Expected --duration to be at least 5 intervals (500ms)'],
    [['--interval', '1ms'], 'Expected --interval to be between 5ms and 60000ms'],
    [['--out', 'a.html', '--no-report'], '--out and --no-report contradict each other'],
    [['--json=yes'], 'Option --json takes no value'],
    [['--json', '--json', '--duration', '1s', '--duration', '2s'], 'Option --duration was given twice'],
    [['fast'], 'Unexpected argument "fast"'],
  ])('refuses %j with a message naming the flag', (argv, message) => {
    expect(() => parseLabArgs(argv)).toThrow(UsageError);
    expect(() => parseLabArgs(argv)).toThrow(message);
  });

  it('lists every flag and every strategy in the usage', () => {
    for (const flag of ['--duration', '--interval', '--service-time', '--capacity', '--strategies', '--parallel', '--json', '--out', '--no-report']) {
      expect(LAB_USAGE).toContain(flag);
    }
    for (const name of STRATEGY_NAMES) expect(LAB_USAGE).toContain(name);
  });
});
