// Run with: npx vitest run examples/testing-with-fake-timers.test.ts
// How to test a service's schedules with the fake timers the test suite already uses: the
// default clock follows them, so advancing one period gives one run, and cron reads the fake Date.
import { afterEach, expect, it, vi } from 'vitest';
import { createScheduler } from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

it('polls every 10 s and reports on the minute', async () => {
  vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  const scheduler = createScheduler(); // no clock option: the system clock follows the fake one
  const polls: string[] = [];
  let reports = 0;
  scheduler.add({ name: 'poll', fixedRate: '10s', run: async (ctx) => void polls.push(ctx.scheduledAt.toISOString().slice(11, 19)) });
  scheduler.add({ name: 'report', cron: '0 * * * * *', run: () => void (reports += 1) });

  await vi.advanceTimersByTimeAsync(10_000); // one period: one run
  expect(polls).toEqual(['00:00:10']);

  await vi.advanceTimersByTimeAsync(50_000);
  expect(polls).toEqual(['00:00:10', '00:00:20', '00:00:30', '00:00:40', '00:00:50', '00:01:00']);
  expect(reports).toBe(1); // 00:01:00 on the fake Date

  await scheduler.stop(); // while the fake timers are installed
});
