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
      replicas: 'auto',
      redisUrl: null,
      postgresUrl: null,
      replicasDurationMs: 8_000,
    });
  });

  it('runs the replicas scene when a store answers, unless told: --replicas[=on|off|auto], --no-replicas', () => {
    expect(parseLabArgs(['--replicas']).replicas).toBe('on');
    expect(parseLabArgs(['--replicas', '--json']).replicas).toBe('on');
    expect(parseLabArgs(['--replicas=off']).replicas).toBe('off');
    expect(parseLabArgs(['--replicas', 'off']).replicas).toBe('off');
    expect(parseLabArgs(['--replicas=auto']).replicas).toBe('auto');
    expect(parseLabArgs(['--no-replicas']).replicas).toBe('off');
  });

  it('takes the stores as URLs, and times the scene by the duration: at most 8s, at least 6 intervals', () => {
    const options = parseLabArgs(['--redis', 'redis://10.0.0.5:6380/2', '--postgres=postgresql://u:p@db/lab']);
    expect(options).toMatchObject({ redisUrl: 'redis://10.0.0.5:6380/2', postgresUrl: 'postgresql://u:p@db/lab' });
    expect(parseLabArgs(['--redis', 'rediss://cache:6380']).redisUrl).toBe('rediss://cache:6380');
    expect(parseLabArgs(['--duration', '3s']).replicasDurationMs).toBe(3_000);
    expect(parseLabArgs(['--duration', '1m']).replicasDurationMs).toBe(8_000);
    expect(parseLabArgs(['--duration', '500ms', '--interval', '100ms']).replicasDurationMs).toBe(600);
    expect(parseLabArgs(['--replicas-duration', '30s']).replicasDurationMs).toBe(30_000);
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
    [['--replicas=sometimes'], 'Expected --replicas to be auto, on, off (or given alone: on), got "sometimes"'],
    [['--replicas', '--no-replicas'], '--replicas and --no-replicas were both given; give one'],
    [['--no-replicas=yes'], 'Option --no-replicas takes no value'],
    [['--no-replicas', '--redis', 'redis://h:6379'], '--no-replicas and --redis contradict each other; give one'],
    [['--replicas', 'off', '--replicas-duration', '5s'], '--replicas off and --replicas-duration contradict each other; give one'],
    [['--redis', 'localhost:6379'], 'Expected --redis to be a redis:// or rediss:// URL such as redis://127.0.0.1:6379, got "localhost:6379"'],
    [['--postgres', 'redis://h'], 'Expected --postgres to be a postgres:// or postgresql:// URL'],
    [['--replicas-duration', '500ms'], 'Expected --replicas-duration to be at least 6 intervals (600ms) so that ticks run before and after the kill, got 500ms'],
    [['--replica'], 'Unknown option --replica; did you mean --replicas?'],
  ])('refuses %j with a message naming the flag', (argv, message) => {
    expect(() => parseLabArgs(argv)).toThrow(UsageError);
    expect(() => parseLabArgs(argv)).toThrow(message);
  });

  it('lists every flag and every strategy in the usage', () => {
    for (const flag of [
      '--duration', '--interval', '--service-time', '--capacity', '--strategies', '--parallel', '--json', '--out', '--no-report',
      '--replicas', '--no-replicas', '--redis', '--postgres', '--replicas-duration',
    ]) {
      expect(LAB_USAGE).toContain(flag);
    }
    for (const name of STRATEGY_NAMES) expect(LAB_USAGE).toContain(name);
  });
});
