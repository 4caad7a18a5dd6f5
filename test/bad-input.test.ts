/**
 * Bad input is refused at the call site with a typed error that names the option and the value
 * it got, and a refused add() leaves no trace: no job, no timer.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  createScheduler,
  InvalidDurationError,
  InvalidOptionError,
  TestClock,
  type Coordinator,
  type JobOptions,
  type Scheduler,
} from '../src/index.js';
import { registerMetrics } from '../src/integrations/prometheus.js';
import { createAdminHandler } from '../src/integrations/http.js';
import { T0, thrown } from './helpers.js';

const run = (): void => {};

/** How a refused value is quoted in messages: strings in JSON quotes, numbers as written, dates as ISO. */
function quoted(value: unknown): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Whether `message` quotes `value`: as `quoted()` renders it, or a string in single quotes (`'per-tick'`). */
function mentions(message: string, value: unknown): boolean {
  return message.includes(quoted(value)) || (typeof value === 'string' && message.includes(`'${value}'`));
}


interface Refusal {
  readonly type: typeof InvalidOptionError;
  readonly code: 'ERR_TICKGUARD_INVALID_OPTION' | 'ERR_TICKGUARD_INVALID_DURATION';
  /** The option the error names (its `option`, and quoted in backticks in the message). */
  readonly option: string;
  /** The refused value (its `value`, and quoted in the message). */
  readonly value: unknown;
}

/** A scheduler on a TestClock that already holds one job, so "no trace" is checked against a non-empty state. */
function world(options: { coordinator?: Coordinator } = {}): { clock: TestClock; scheduler: Scheduler } {
  const clock = new TestClock(T0);
  const scheduler = createScheduler({ clock, ...options });
  scheduler.add({ name: 'keeper', fixedRate: '1h', run });
  return { clock, scheduler };
}

/** `add(options)` throws the expected typed error at once and leaves the scheduler as it was. */
function expectRefused(options: Record<string, unknown>, expected: Refusal, at = world()): void {
  const { clock, scheduler } = at;
  const label = `${JSON.stringify(options, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`;
  const names = scheduler.jobs().map((job) => job.name);
  const snapshot = scheduler.inspect().jobs;
  const timers = clock.pendingTimers;
  const error = thrown(() => scheduler.add(options as unknown as JobOptions));
  expect(error, label).toBeInstanceOf(expected.type);
  const refused = error as InvalidOptionError;
  expect(refused.code, label).toBe(expected.code);
  expect(refused.option, label).toBe(expected.option);
  if (Number.isNaN(expected.value)) expect(Number.isNaN(refused.value), label).toBe(true);
  else expect(refused.value, label).toBe(expected.value);
  expect(refused.message, label).toContain(`\`${expected.option}`);
  expect(mentions(refused.message, expected.value), `${label}: ${refused.message}`).toBe(true);
  // No trace: the same jobs, the same snapshot, no timer armed.
  expect(scheduler.jobs().map((job) => job.name), label).toEqual(names);
  expect(scheduler.inspect().jobs, label).toEqual(snapshot);
  expect(clock.pendingTimers, label).toBe(timers);
}

const duration = (option: string, value: unknown): Refusal => ({ type: InvalidDurationError, code: 'ERR_TICKGUARD_INVALID_DURATION', option, value });
const invalid = (option: string, value: unknown): Refusal => ({ type: InvalidOptionError, code: 'ERR_TICKGUARD_INVALID_OPTION', option, value });

describe('periods that cannot advance a whole-millisecond due time', () => {
  it('fractional and sub-millisecond fixedRate/fixedDelay periods are refused with InvalidDurationError', () => {
    const cases: [('fixedRate' | 'fixedDelay'), number | string][] = [
      ['fixedRate', 0.0001], ['fixedRate', '0.0001ms'], ['fixedRate', 0.5], ['fixedRate', 0.999], ['fixedRate', 1.5],
      ['fixedRate', '1.5ms'], ['fixedRate', 999.5], ['fixedRate', '1.0001ms'],
      ['fixedDelay', 0.5], ['fixedDelay', '0.2ms'], ['fixedDelay', 2.5], ['fixedDelay', '1.5ms'],
    ];
    for (const [kind, value] of cases) expectRefused({ name: 'p', [kind]: value, run }, duration(kind, value));
  });

  it('1 ms is the shortest period: 1 and "1ms" run exactly once per ms (no spin), 0.999 is refused', async () => {
    expectRefused({ name: 'p', fixedRate: 0.999, run }, duration('fixedRate', 0.999));
    for (const [kind, value] of [['fixedRate', 1], ['fixedRate', '1ms'], ['fixedDelay', 1], ['fixedDelay', '1ms']] as const) {
      const clock = new TestClock(T0);
      const scheduler = createScheduler({ clock });
      let runs = 0;
      const job = scheduler.add({ name: 'p', ...(kind === 'fixedRate' ? { fixedRate: value } : { fixedDelay: value }), run: () => void runs++ });
      await clock.advance(10);
      expect(runs, `${kind} ${value}`).toBe(10);
      expect(job.inspect().counters, `${kind} ${value}`).toMatchObject({ ticks: 10, started: 10, skipped: 0, missed: 0 });
      await scheduler.stop();
    }
  }, 5_000); // a period that does not advance would spin here instead of finishing
});

describe('values beyond the range of a Date', () => {
  it('huge periods are refused: 1e300, Infinity, 8.64e15 + 1, "99999999999999999d"', () => {
    for (const value of [1e300, Infinity, 8.64e15 + 1, '99999999999999999d', 1e16]) {
      expectRefused({ name: 'p', fixedRate: value, run }, duration('fixedRate', value));
      expectRefused({ name: 'p', fixedDelay: value, run }, duration('fixedDelay', value));
    }
  });

  it('a fixedRate of 8e15 (or 8.64e15) is accepted and nextRuns() returns only valid Dates', () => {
    expectRefused({ name: 'p', fixedRate: 8.64e15 + 1, run }, duration('fixedRate', 8.64e15 + 1));
    for (const period of [8e15, 8.64e15]) {
      const { scheduler } = world();
      const job = scheduler.add({ name: 'far', fixedRate: period, run });
      const next = job.nextRuns(3);
      for (const date of next) expect(Number.isFinite(date.getTime()), String(period)).toBe(true);
      // Slots are k·period from the epoch: the first after 2026 is the only one a Date can hold.
      expect(next).toEqual([new Date(period)]);
      expect(job.inspect().nextRunAt).toEqual(new Date(period));
      expect(() => JSON.stringify(job)).not.toThrow();
    }
  });

  it('`at` outside ±8.64e15 (or not a date) is refused with InvalidOptionError, not a bare RangeError', () => {
    for (const value of [1e20, 8.64e15 + 1, -8.64e15 - 1, NaN, Infinity, -Infinity, new Date('nope')]) {
      expectRefused({ name: 'once', at: value, run }, invalid('at', value));
    }
    const { scheduler } = world();
    for (const [name, value] of [['max', 8.64e15], ['max-date', new Date(8.64e15)]] as const) {
      const job = scheduler.add({ name, at: value, run });
      expect(job.nextRuns(2)).toEqual([new Date(8.64e15)]);
      expect(job.inspect().nextRunAt).toEqual(new Date(8.64e15));
    }
  });

  it('durations longer than 8.64e15 ms are refused for every duration option', () => {
    const tooLong = ['99999999999999999d', 1e300, 8.64e15 + 1];
    for (const value of tooLong) {
      expectRefused({ name: 'p', fixedRate: '1s', timeout: value, run }, duration('timeout', value));
      expectRefused({ name: 'p', fixedRate: '1s', stuckAfter: value, run }, duration('stuckAfter', value));
      expectRefused({ name: 'p', fixedRate: '1s', initialDelay: value, run }, duration('initialDelay', value));
      expectRefused({ name: 'p', fixedDelay: '1s', initialDelay: value, run }, duration('initialDelay', value));
      expectRefused({ name: 'p', fixedRate: '1s', retry: { attempts: 2, backoff: value }, run }, duration('retry.backoff', value));
    }
    // Not a duration at all: refused as unparseable.
    expectRefused({ name: 'p', fixedRate: '1s', timeout: '1e300ms', run }, duration('timeout', '1e300ms'));
  });
});

describe('counts must be finite integers >= 1', () => {
  it('maxConcurrency and maxBuffered refuse Infinity, 0, -1, 1.5 and NaN; maxRuns/maxConsecutiveFailures keep Infinity', () => {
    for (const value of [Infinity, 0, -1, 1.5, NaN]) {
      expectRefused({ name: 'p', fixedRate: '1s', maxConcurrency: value, run }, invalid('maxConcurrency', value));
      expectRefused({ name: 'p', fixedRate: '1s', overlap: 'buffer-all', maxBuffered: value, run }, invalid('maxBuffered', value));
    }
    const { scheduler } = world();
    const job = scheduler.add({ name: 'forever', fixedRate: '1s', maxRuns: Infinity, maxConsecutiveFailures: Infinity, run });
    expect(job.nextRuns(3)).toHaveLength(3);
    expect(scheduler.jobs().map((j) => j.name)).toEqual(['keeper', 'forever']);
  });
});

describe('jitter of a fixedRate job', () => {
  it('is refused at or above the period, accepted just below', async () => {
    for (const value of ['1s', '2s', 1_000, 1_000.5, '1m']) {
      expectRefused({ name: 'p', fixedRate: '1s', jitter: value, run }, invalid('jitter', value));
    }
    const clock = new TestClock(T0, { random: () => 0.75 });
    const scheduler = createScheduler({ clock });
    const starts: number[] = [];
    scheduler.add({ name: 'j', fixedRate: '1s', jitter: '999ms', run: () => void starts.push(clock.now()) });
    scheduler.add({ name: 'k', fixedRate: 1_000, jitter: 999.9, run });
    await clock.advance(3_000);
    // 0.75 × 999 ms after each slot: every start stays before the next slot.
    expect(starts.map((t) => t - T0)).toEqual([1_749.25, 2_749.25]);
    await scheduler.stop();
  });
});

describe('scheduler.on() / off()', () => {
  it('refuse unknown event names (suggesting the right one) and non-function listeners', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const listener = (): void => {};
    const cases: [() => unknown, string, unknown, RegExp?][] = [
      [() => scheduler.on('run:ended' as never, listener), 'event', 'run:ended', /did you mean 'run:end'\?/],
      [() => scheduler.on('tick', 'not a function' as never), 'listener', 'not a function'],
      [() => scheduler.on('tick', undefined as never), 'listener', undefined],
      [() => scheduler.off('nope' as never, listener), 'event', 'nope'],
      [() => scheduler.off('tick', 42 as never), 'listener', 42],
    ];
    for (const [call, option, value, suggestion] of cases) {
      const error = thrown(call);
      expect(error, `${option} ${String(value)}`).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ code: 'ERR_TICKGUARD_INVALID_OPTION', option, value });
      const message = (error as Error).message;
      expect(message).toContain(option);
      expect(mentions(message, value), message).toBe(true);
      if (suggestion) expect(message).toMatch(suggestion);
    }
    // None of them was registered: a tick reaches no broken listener and nothing is reported.
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      scheduler.add({ name: 'a', fixedRate: '1s', run });
      await clock.advance(2_000);
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await scheduler.stop();
    }
  });
});

describe('job names', () => {
  it("refuse '@', and tick ids of accepted names split unambiguously at the first '@'", async () => {
    for (const name of ['a@b', '@', 'x@', '@x', 'sync@2026-01-01T00:00:00.000Z']) {
      expectRefused({ name, fixedRate: '1s', run }, invalid('name', name));
    }
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const names = ['a', 'a.b', 'with space', 'ünï-cödé', 'a#b', 'a/b:c', 'x-2026-01-01T00:00:00.000Z'];
    const ids: { name: string; tickId: string; scheduledAt: Date }[] = [];
    for (const name of names) scheduler.add({ name, fixedRate: '1s', run: (ctx) => void ids.push({ name, tickId: ctx.tickId, scheduledAt: ctx.scheduledAt }) });
    await clock.advance(1_000);
    expect(ids).toHaveLength(names.length);
    for (const { name, tickId, scheduledAt } of ids) {
      const at = tickId.indexOf('@');
      expect(tickId.slice(0, at)).toBe(name);
      expect(tickId.slice(at + 1)).toBe(scheduledAt.toISOString());
    }
    await scheduler.stop();
  });
});

describe('unknown options: the message keeps its separator', () => {
  it('with and without a suggestion, in job options, updates, scheduler, stop and retry options', async () => {
    const { clock, scheduler } = world();
    const cases: [() => unknown, string, string][] = [
      [() => scheduler.add({ name: 'p', fixedRate: '1s', run, zzzzzz: 1 } as never), 'zzzzzz', 'Unknown option `zzzzzz` in job options. Valid options:'],
      [() => scheduler.add({ name: 'p', fixedRate: '1s', run, maxConcurency: 2 } as never), 'maxConcurency', 'Unknown option `maxConcurency` in job options; did you mean `maxConcurrency`? Valid options:'],
      [() => scheduler.get('keeper')!.update({ zzzzzz: 1 } as never), 'zzzzzz', 'Unknown option `zzzzzz` in job update. Valid options:'],
      [() => createScheduler({ clock, zzzzzz: 1 } as never), 'zzzzzz', 'Unknown option `zzzzzz` in scheduler options. Valid options:'],
      [() => scheduler.add({ name: 'p', fixedRate: '1s', run, retry: { attempts: 2, zzzzzz: 1 } } as never), 'zzzzzz', 'Unknown option `zzzzzz` in `retry`. Valid options:'],
    ];
    for (const [call, option, text] of cases) {
      const error = thrown(call);
      expect(error, text).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ code: 'ERR_TICKGUARD_INVALID_OPTION', option });
      expect((error as Error).message).toContain(text);
    }
    expect(scheduler.jobs().map((job) => job.name)).toEqual(['keeper']);
    const stopError = thrown(() => scheduler.stop({ zzzzzz: 1 } as never));
    expect((stopError as Error).message).toContain('Unknown option `zzzzzz` in stop options. Valid options:');
    await scheduler.stop();
  });

  it('the same in registerMetrics() and createAdminHandler()', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const registry = new Registry();
    const cases: [() => unknown, string, string][] = [
      [() => registerMetrics(scheduler, { registry, zzzzzz: 1 } as never), 'zzzzzz', 'Unknown option `zzzzzz` in registerMetrics(). Valid options:'],
      [() => registerMetrics(scheduler, { registry, prefx: 'x_' } as never), 'prefx', 'did you mean `prefix`? Valid options:'],
      [() => createAdminHandler(scheduler, { zzzzzz: 1 } as never), 'zzzzzz', 'Unknown option `zzzzzz` in createAdminHandler(). Valid options:'],
      [() => createAdminHandler(scheduler, { basePth: '/x' } as never), 'basePth', 'did you mean `basePath`? Valid options:'],
    ];
    for (const [call, option, text] of cases) {
      const error = thrown(call);
      expect(error, text).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ code: 'ERR_TICKGUARD_INVALID_OPTION', option });
      expect((error as Error).message).toContain(text);
    }
    // Nothing was registered by the refused calls.
    expect(registry.getMetricsAsArray()).toEqual([]);
    await scheduler.stop();
  });
});

describe('phase', () => {
  it('must be whole ms below the period', () => {
    for (const value of ['1s', 1_000, 1_500, '2s', 1.5, '0.5ms', 999.5]) {
      expectRefused({ name: 'p', fixedRate: '1s', phase: value, run }, invalid('phase', value));
    }
    expectRefused({ name: 'p', fixedRate: '1s', phase: -1, run }, duration('phase', -1));
    const { scheduler } = world();
    const job = scheduler.add({ name: 'ph', fixedRate: '1s', phase: '250ms', run });
    expect(job.nextRuns(3)).toEqual([T0 + 250, T0 + 1_250, T0 + 2_250].map((t) => new Date(t)));
    const last = scheduler.add({ name: 'ph2', fixedRate: '1s', phase: 999, run });
    expect(last.nextRuns(1)).toEqual([new Date(T0 + 999)]);
  });

  it('applies to fixedRate only', () => {
    expectRefused({ name: 'p', fixedDelay: '1s', phase: '100ms', run }, invalid('phase', '100ms'));
    expectRefused({ name: 'p', cron: '* * * * *', phase: '100ms', run }, invalid('phase', '100ms'));
    expectRefused({ name: 'p', at: T0 + 1_000, phase: 0, run }, invalid('phase', 0));
  });
});

describe('coordination', () => {
  const coordinator: Coordinator = { claim: () => true };

  it("'exclusive' or 'per-tick' without a coordinator is refused; 'local' is accepted", () => {
    for (const mode of ['exclusive', 'per-tick']) {
      expectRefused({ name: 'p', fixedRate: '1s', coordination: mode, run }, invalid('coordination', mode));
      expectRefused({ name: 'p', fixedDelay: '1s', coordination: mode, run }, invalid('coordination', mode));
    }
    const { scheduler } = world();
    expect(scheduler.add({ name: 'l', fixedRate: '1s', coordination: 'local', run }).inspect().coordination).toBe('local');
  });

  it("'per-tick' for a fixedDelay job is refused (it has no shared slots); 'exclusive' and 'local' are accepted", () => {
    expectRefused({ name: 'p', fixedDelay: '1s', coordination: 'per-tick', run }, invalid('coordination', 'per-tick'), world({ coordinator }));
    const { scheduler } = world({ coordinator });
    expect(scheduler.add({ name: 'e', fixedDelay: '1s', coordination: 'exclusive', run }).inspect().coordination).toBe('exclusive');
    expect(scheduler.add({ name: 'l', fixedDelay: '1s', coordination: 'local', run }).inspect().coordination).toBe('local');
    expect(scheduler.add({ name: 'r', fixedRate: '1s', coordination: 'per-tick', run }).inspect().coordination).toBe('per-tick');
  });
});
