/**
 * What a user checks first under fake timers, with the fake clock started at T0 (a whole second)
 * and moved by `advance`. Each scenario runs a plain `setInterval` alongside as the control: the
 * fake clock itself fires on time, so any difference is tickguard's.
 */
import type { createScheduler as CreateScheduler, TestClock as TestClockClass } from '../../src/index.js';

/** Midnight, 2026-01-01 UTC: every fixedRate slot and cron second falls on a fake-clock millisecond. */
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** Moves the installed fake clock, letting promise callbacks run between timers. */
export type Advance = (ms: number) => Promise<void>;

interface Seen {
  /** `Date.now() − T0` when the task ran. */
  readonly ranAt: number[];
  /** `ctx.scheduledAt − T0`. */
  readonly scheduledAt: number[];
  readonly tickIds: string[];
}

/** What a job's task saw, and the task that records it. */
function record(): { seen: Seen; run: (ctx: { scheduledAt: Date; tickId: string }) => void } {
  const seen: Seen = { ranAt: [], scheduledAt: [], tickIds: [] };
  return {
    seen,
    run: (ctx) => {
      seen.ranAt.push(Date.now() - T0);
      seen.scheduledAt.push(ctx.scheduledAt.getTime() - T0);
      seen.tickIds.push(ctx.tickId);
    },
  };
}

/** A 100 ms fixedRate job: one period, then the rest of a second. */
export async function fixedRate(createScheduler: typeof CreateScheduler, advance: Advance) {
  const scheduler = createScheduler();
  const job = record();
  scheduler.add({ name: 'poll', fixedRate: 100, run: job.run });
  const control: number[] = [];
  const interval = setInterval(() => control.push(Date.now() - T0), 100);
  try {
    await advance(100);
    const afterOnePeriod = job.seen.ranAt.length;
    await advance(900);
    return { afterOnePeriod, ...job.seen, control };
  } finally {
    clearInterval(interval);
    await scheduler.stop();
  }
}

/** A cron job every second, and a fixedDelay job (waits on the monotonic line), over 3 s. */
export async function cronAndFixedDelay(createScheduler: typeof CreateScheduler, advance: Advance) {
  const scheduler = createScheduler();
  const cron = record();
  const delayed = record();
  scheduler.add({ name: 'every-second', cron: '* * * * * *', run: cron.run });
  scheduler.add({ name: 'chain', fixedDelay: 1_000, run: delayed.run });
  try {
    await advance(3_000);
    return { cron: cron.seen, fixedDelay: delayed.seen };
  } finally {
    await scheduler.stop();
  }
}

/**
 * A TestClock while fake timers are installed: `advance()` must not wait on anything the fake
 * clock owns. `pkg` is the package as loaded by the test (sources, or a bundle).
 */
export async function testClockRuns(pkg: { TestClock: typeof TestClockClass; createScheduler: typeof CreateScheduler }) {
  const clock = new pkg.TestClock(T0);
  const scheduler = pkg.createScheduler({ clock });
  const ranAt: number[] = [];
  scheduler.add({
    name: 'poll',
    fixedRate: 100,
    run: async () => {
      await Promise.resolve();
      ranAt.push(clock.now() - T0);
    },
  });
  await clock.advance(1_000);
  const stopping = scheduler.stop();
  await clock.flush();
  return { ranAt, clean: (await stopping).clean };
}

/** The expected result of {@link testClockRuns}. */
export const EXPECTED_TEST_CLOCK_RUNS = { ranAt: [100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000], clean: true };

/** The expected result of {@link fixedRate}: runs at 100, 200, … 1000, each at its slot. */
export const EXPECTED_FIXED_RATE = {
  afterOnePeriod: 1,
  ranAt: [100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000],
  scheduledAt: [100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000],
  tickIds: [100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000].map((ms) => `poll@${new Date(T0 + ms).toISOString()}`),
  control: [100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000],
};

/** The expected result of {@link cronAndFixedDelay}. */
export const EXPECTED_CRON_AND_FIXED_DELAY = {
  cron: {
    ranAt: [1_000, 2_000, 3_000],
    scheduledAt: [1_000, 2_000, 3_000],
    tickIds: [1_000, 2_000, 3_000].map((ms) => `every-second@${new Date(T0 + ms).toISOString()}`),
  },
  fixedDelay: {
    ranAt: [1_000, 2_000, 3_000],
    scheduledAt: [1_000, 2_000, 3_000],
    tickIds: [1_000, 2_000, 3_000].map((ms) => `chain@${new Date(T0 + ms).toISOString()}`),
  },
};
