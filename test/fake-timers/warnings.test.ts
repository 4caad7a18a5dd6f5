// Fake timers that tickguard's schedules cannot follow are named once, with the fix.
// Own file: each warning is given once per process (once per module instance under vitest).
import { afterEach, expect, it, vi } from 'vitest';
import { createScheduler } from '../../src/index.js';
import { T0 } from './scenarios.js';

const warnings: Error[] = [];
const onWarning = (warning: Error) => void warnings.push(warning);
process.on('warning', onWarning);

afterEach(() => {
  vi.useRealTimers();
});

/** Warnings are emitted on the next tick. */
const emitted = () => new Promise<void>((resolve) => process.nextTick(resolve));

it('says nothing on real timers', async () => {
  const scheduler = createScheduler();
  scheduler.add({ name: 'poll', fixedRate: '1h', run: () => {} });
  await scheduler.stop();
  await emitted();
  expect(warnings.filter((w) => /^TICKGUARD_.*FAKE_TIMERS/.test((w as { code?: string }).code ?? ''))).toEqual([]);
});

it('fake timers without a fake Date: warns once, naming the fix; fixedDelay follows, fixedRate cannot', async () => {
  vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  const runs = { fixedRate: 0, fixedDelay: 0 };
  for (const round of [1, 2]) {
    const scheduler = createScheduler();
    scheduler.add({ name: `rate-${round}`, fixedRate: 1_000, run: () => void (runs.fixedRate += 1) });
    scheduler.add({ name: `delay-${round}`, fixedDelay: 1_000, run: () => void (runs.fixedDelay += 1) });
    await vi.advanceTimersByTimeAsync(3_000);
    await scheduler.stop();
  }
  await emitted();
  expect(runs).toEqual({ fixedRate: 0, fixedDelay: 6 });
  const mine = warnings.filter((w) => (w as { code?: string }).code === 'TICKGUARD_FAKE_TIMERS_WITHOUT_DATE');
  expect(mine).toHaveLength(1);
  expect(mine[0]!.message).toMatch(/without a fake Date/);
  expect(mine[0]!.message).toMatch(/add 'Date' to toFake/);
  expect(mine[0]!.message).toMatch(/TestClock/);
});
