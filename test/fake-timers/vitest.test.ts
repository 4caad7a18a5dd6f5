// vitest's own fake timers, with its defaults and with the toFake lists that leave a clock out.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createScheduler, TestClock } from '../../src/index.js';
import { cronAndFixedDelay, EXPECTED_CRON_AND_FIXED_DELAY, EXPECTED_FIXED_RATE, fixedRate, T0 } from './scenarios.js';

/** vitest 2's default `toFake`: everything but `performance`, `nextTick` and `queueMicrotask`. */
const VITEST_2_DEFAULT = ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date'] as const;

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms).then(() => undefined);

afterEach(() => {
  vi.useRealTimers();
});

describe.each([
  ['vitest 3–4 default', {}],
  ['vitest 2 default (performance not faked)', { toFake: [...VITEST_2_DEFAULT] }],
])('vi.useFakeTimers(): %s', (_label, config) => {
  it('advancing one period gives one run; 1000 ms of a 100 ms job gives 10, on the fake Date', async () => {
    vi.useFakeTimers({ now: T0, ...config });
    expect(await fixedRate(createScheduler, advance)).toEqual(EXPECTED_FIXED_RATE);
  });

  it('cron follows the fake Date; fixedDelay waits on the fake clock', async () => {
    vi.useFakeTimers({ now: T0, ...config });
    expect(await cronAndFixedDelay(createScheduler, advance)).toEqual(EXPECTED_CRON_AND_FIXED_DELAY);
  });

  it('follows the fake Date when the test sets it after installing', async () => {
    vi.useFakeTimers(config);
    vi.setSystemTime(T0);
    expect(await fixedRate(createScheduler, advance)).toEqual(EXPECTED_FIXED_RATE);
  });

  it('runs with the fake clock started at the real time, not on a whole second', async () => {
    vi.useFakeTimers(config);
    const start = Date.now();
    const scheduler = createScheduler();
    const ranAt: number[] = [];
    scheduler.add({ name: 'poll', fixedRate: 100, run: () => void ranAt.push(Date.now()) });
    await advance(1_000);
    await scheduler.stop();
    // Ten slots fall in any 1000 ms window; each run starts on its slot.
    expect(ranAt).toHaveLength(10);
    expect(ranAt.every((at) => at % 100 === 0 && at > start && at <= start + 1_000)).toBe(true);
  });
});

describe('vi.useFakeTimers() with vitest\'s defaults: each schedule, one period at a time', () => {
  it('fixedDelay: one delay gives one run, the next delay the next', async () => {
    vi.useFakeTimers({ now: T0 });
    const scheduler = createScheduler();
    const ranAt: number[] = [];
    scheduler.add({ name: 'chain', fixedDelay: 1_000, run: () => void ranAt.push(Date.now() - T0) });
    await advance(999);
    expect(ranAt).toEqual([]);
    await advance(1);
    expect(ranAt).toEqual([1_000]);
    await advance(1_000);
    expect(ranAt).toEqual([1_000, 2_000]);
    await scheduler.stop();
  });

  it("cron '* * * * *' on the fake Date set by vi.setSystemTime(): one minute gives one run, at the minute", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-03-01T10:00:30.250Z'));
    const scheduler = createScheduler();
    const ranAt: string[] = [];
    scheduler.add({ name: 'every-minute', cron: '* * * * *', timezone: 'UTC', run: (ctx) => void ranAt.push(`${new Date().toISOString()} ${ctx.scheduledAt.toISOString()}`) });
    await advance(29_749);
    expect(ranAt).toEqual([]);
    await advance(1);
    expect(ranAt).toEqual(['2026-03-01T10:01:00.000Z 2026-03-01T10:01:00.000Z']);
    await advance(60_000);
    expect(ranAt).toEqual(['2026-03-01T10:01:00.000Z 2026-03-01T10:01:00.000Z', '2026-03-01T10:02:00.000Z 2026-03-01T10:02:00.000Z']);
    await scheduler.stop();
  });

  it('runOnStart runs at once; initialDelay puts the first run off by its delay', async () => {
    vi.useFakeTimers({ now: T0 });
    const scheduler = createScheduler();
    const ranAt: Record<string, number[]> = { rateOnStart: [], rateDelayed: [], delayDelayed: [], delayOnStart: [] };
    const record = (name: string) => () => void ranAt[name]!.push(Date.now() - T0);
    scheduler.add({ name: 'rateOnStart', fixedRate: 1_000, runOnStart: true, run: record('rateOnStart') });
    scheduler.add({ name: 'rateDelayed', fixedRate: 1_000, initialDelay: 2_500, run: record('rateDelayed') });
    scheduler.add({ name: 'delayDelayed', fixedDelay: 1_000, initialDelay: 300, run: record('delayDelayed') });
    scheduler.add({ name: 'delayOnStart', fixedDelay: 1_000, runOnStart: true, run: record('delayOnStart') });
    await advance(0);
    expect(ranAt).toEqual({ rateOnStart: [0], rateDelayed: [], delayDelayed: [], delayOnStart: [0] });
    await advance(300);
    expect(ranAt.delayDelayed).toEqual([300]);
    await advance(2_700);
    expect(ranAt).toEqual({ rateOnStart: [0, 1_000, 2_000, 3_000], rateDelayed: [3_000], delayDelayed: [300, 1_300, 2_300], delayOnStart: [0, 1_000, 2_000, 3_000] });
    await scheduler.stop();
  });
});

describe('a TestClock while vitest fakes timers', () => {
  it('advance() resolves and runs what falls due', async () => {
    vi.useFakeTimers();
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    let runs = 0;
    scheduler.add({ name: 'poll', fixedRate: 100, run: async () => { await Promise.resolve(); runs += 1; } });
    await clock.advance(1_000);
    expect(runs).toBe(10);
    const stopping = scheduler.stop();
    await clock.flush();
    expect((await stopping).clean).toBe(true);
  });
});

describe('the package loaded while vitest fakes timers (fake timers in a setup file)', () => {
  it('a TestClock still advances, and the system clock still follows the fake one', async () => {
    vi.useFakeTimers({ now: T0 });
    vi.resetModules();
    const pkg = await import('../../src/index.js');
    const clock = new pkg.TestClock(T0);
    const scheduler = pkg.createScheduler({ clock });
    let runs = 0;
    scheduler.add({ name: 'poll', fixedRate: 100, run: () => void (runs += 1) });
    await clock.advance(1_000);
    expect(runs).toBe(10);
    await scheduler.stop();
    expect(await fixedRate(pkg.createScheduler, advance)).toEqual(EXPECTED_FIXED_RATE);
  });
});

describe('vi.setSystemTime() while runs are in flight (a wall-clock step)', () => {
  it('moves due times, not waits: a run\'s timeout still counts fake monotonic time', async () => {
    vi.useFakeTimers({ now: T0 });
    const scheduler = createScheduler();
    const outcomes: string[] = [];
    scheduler.on('run:end', (e) => void outcomes.push(`${e.outcome}@${Date.now() - T0}`));
    scheduler.add({ name: 'slow', fixedDelay: 1_000, timeout: 5_000, run: (ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve())) });
    await advance(2_000); // the run started at 1000
    vi.setSystemTime(T0 + 3_600_000);
    await advance(3_999);
    expect(outcomes).toEqual([]);
    await advance(1);
    expect(outcomes).toEqual([`timeout@${3_600_000 + 4_000}`]);
    await scheduler.stop();
  });
});

describe('a scheduler created before the fake timers are installed (a service module loaded by the test)', () => {
  it('runs on the slots of the fake Date: one period gives one run, each on its millisecond', async () => {
    const scheduler = createScheduler();
    // A job added on the real clocks reads their offset, which has a fraction of a millisecond.
    scheduler.add({ name: 'hourly', fixedRate: '1h', run: () => {} });
    vi.useFakeTimers();
    const start = Date.now();
    const ranAt: number[] = [];
    scheduler.add({ name: 'poll', fixedRate: 100, run: () => void ranAt.push(Date.now()) });
    const firstSlot = Math.floor(start / 100) * 100 + 100;
    await advance(firstSlot - start);
    expect(ranAt).toEqual([firstSlot]);
    await advance(900);
    expect(ranAt).toEqual(Array.from({ length: 10 }, (_, i) => firstSlot + 100 * i));
    await scheduler.stop();
  });
});

describe('fake timers uninstalled while a scheduler still runs (a scheduler that outlives the test)', () => {
  /** Real time, not the fake clock's: the scheduler is back on the real timers. */
  const runsAgain = (count: () => number) => {
    const before = count();
    return vi.waitFor(() => expect(count()).toBeGreaterThan(before), { timeout: 5_000, interval: 10 });
  };

  it('vi.useRealTimers(): its jobs run on the real timers', async () => {
    vi.useFakeTimers();
    const scheduler = createScheduler();
    let runs = 0;
    scheduler.add({ name: 'poll', fixedRate: 20, run: () => void (runs += 1) });
    await advance(100);
    expect(runs).toBe(5);
    vi.useRealTimers();
    try {
      await runsAgain(() => runs);
    } finally {
      await scheduler.stop();
    }
  });

  it('vi.useRealTimers(): a job added afterwards runs', async () => {
    vi.useFakeTimers({ now: T0 });
    const scheduler = createScheduler();
    let runs = 0;
    scheduler.add({ name: 'hourly', fixedRate: '1h', run: () => {} });
    await advance(100);
    vi.useRealTimers();
    scheduler.add({ name: 'poll', fixedRate: 20, run: () => void (runs += 1) });
    try {
      await runsAgain(() => runs);
    } finally {
      expect((await scheduler.stop()).clean).toBe(true);
    }
  });

  it('a scheduler made on the real timers, ticking through a test with fake ones, runs on the real timers after it', async () => {
    const scheduler = createScheduler();
    let runs = 0;
    scheduler.add({ name: 'poll', fixedRate: 20, run: () => void (runs += 1) });
    vi.useFakeTimers();
    scheduler.add({ name: 'soon', fixedDelay: 5, run: () => {} }); // due first: the scheduler's timer is re-armed on the fake clock
    await advance(100);
    vi.useRealTimers();
    try {
      await runsAgain(() => runs);
    } finally {
      await scheduler.stop();
    }
  });

  it('fake timers installed anew: it follows the new fake clock', async () => {
    vi.useFakeTimers({ now: T0 });
    const scheduler = createScheduler();
    const ranAt: number[] = [];
    scheduler.add({ name: 'poll', fixedDelay: 100, run: () => void ranAt.push(Date.now() - T0) });
    await advance(100);
    vi.useRealTimers();
    vi.useFakeTimers({ now: T0 + 10_000 });
    await vi.waitFor(() => expect(vi.getTimerCount()).toBeGreaterThan(0), { timeout: 5_000, interval: 10 });
    await advance(1_000);
    try {
      expect(ranAt.length).toBeGreaterThanOrEqual(10);
      expect(ranAt.slice(1).every((at) => at >= 10_000)).toBe(true);
    } finally {
      await scheduler.stop();
    }
  });
});

describe('a scheduler made on the real timers, re-armed on fake ones', () => {
  it('clears its real timer: none is left to hold the process once it stops', async () => {
    const timeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timeouts();
    const scheduler = createScheduler();
    scheduler.add({ name: 'hourly', fixedRate: '1h', run: () => {} });
    expect(timeouts()).toBe(before + 1);
    vi.useFakeTimers();
    scheduler.add({ name: 'poll', fixedRate: 100, run: () => {} }); // due first: re-armed on the fake clock
    await advance(100);
    await scheduler.stop();
    vi.useRealTimers();
    expect(timeouts()).toBe(before);
  });
});
