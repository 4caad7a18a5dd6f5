import { describe, expect, it } from 'vitest';
import { createScheduler, TestClock, MAX_TIMER_DELAY_MS } from '../src/index.js';
import { offsets, setup, T0 } from './helpers.js';

describe('one timer for all jobs', () => {
  it('arms at most one timer whatever the number of jobs', async () => {
    const { clock, scheduler } = setup();
    // Runs wait on gates the test opens, not on timers: every armed timer is the scheduler's.
    const gates: (() => void)[] = [];
    for (let i = 0; i < 1_000; i += 1) {
      scheduler.add({ name: `job-${i}`, fixedRate: 1_000 + (i % 37), timeout: '10s', run: () => new Promise<void>((open) => gates.push(open)) });
      expect(clock.pendingTimers).toBe(1);
    }
    let peakInFlight = 0;
    for (let step = 0; step < 50; step += 1) {
      await clock.advance(97);
      // Runs in flight hold timeout and stuck entries: still one timer for all of them.
      expect(clock.pendingTimers).toBe(1);
      peakInFlight = Math.max(peakInFlight, scheduler.inspect().jobs.reduce((n, j) => n + j.inFlight, 0));
      for (const open of gates.splice(0, gates.length / 2)) open();
    }
    expect(peakInFlight).toBeGreaterThan(100);
  });

  it('waits beyond setTimeout\'s 2^31-1 ms limit without firing early', async () => {
    const clock = new TestClock(T0);
    const scheduler = createScheduler({ clock });
    const fired: number[] = [];
    const in40Days = T0 + 40 * 86_400_000;
    scheduler.add({ name: 'later', at: new Date(in40Days), run: () => void fired.push(clock.now()) });
    // 30-day slots from the epoch: the first after T0 is 6 days later, the next 36 days later.
    scheduler.add({ name: 'monthly', fixedRate: '30d', phase: '1d', run: () => void fired.push(clock.now()) });
    const day = 86_400_000;
    expect(40 * day).toBeGreaterThan(MAX_TIMER_DELAY_MS);
    expect(30 * day).toBeGreaterThan(MAX_TIMER_DELAY_MS);
    await clock.advance(7 * day - 1);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(offsets(fired)).toEqual([7 * day]);
    await clock.advance(30 * day - 1);
    expect(fired).toHaveLength(1);
    await clock.advance(1);
    expect(offsets(fired)).toEqual([7 * day, 37 * day]);
    await clock.advance(3 * day - 1);
    expect(fired).toHaveLength(2);
    await clock.advance(1);
    expect(offsets(fired)).toEqual([7 * day, 37 * day, 40 * day]);
    expect(scheduler.get('later')?.state).toBe('done');
  });

  it('runs an `at` job once, even when its instant is already past', async () => {
    const { clock, scheduler } = setup();
    const fired: number[] = [];
    scheduler.add({ name: 'past', at: T0 - 5_000, run: () => void fired.push(clock.now()) });
    scheduler.add({ name: 'soon', at: new Date(T0 + 1_500), run: () => void fired.push(clock.now()) });
    await clock.advance(10_000);
    expect(offsets(fired)).toEqual([0, 1_500]);
  });

  it('runs cron jobs at their due times in their time zone', async () => {
    const clock = new TestClock(new Date('2026-03-29T00:59:00Z'));
    const scheduler = createScheduler({ clock });
    const fired: string[] = [];
    scheduler.add({ name: 'berlin', cron: '*/30 * * * *', timezone: 'Europe/Berlin', run: (ctx) => void fired.push(ctx.scheduledAt.toISOString()) });
    await clock.advance(2 * 3_600_000);
    // 01:00Z is 03:00 CEST, right after the spring-forward gap.
    expect(fired).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-29T01:30:00.000Z', '2026-03-29T02:00:00.000Z', '2026-03-29T02:30:00.000Z']);
    expect(scheduler.get('berlin')?.nextRuns(2).map((d) => d.toISOString())).toEqual(['2026-03-29T03:00:00.000Z', '2026-03-29T03:30:00.000Z']);
  });

  it('re-arms when an earlier entry arrives and disarms when the last job goes', async () => {
    const { clock, scheduler } = setup();
    const slow = scheduler.add({ name: 'slow', fixedRate: '1h', run: () => {} });
    const fired: number[] = [];
    scheduler.add({ name: 'fast', fixedRate: '1s', run: () => void fired.push(clock.now()) });
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(1_000);
    expect(offsets(fired)).toEqual([1_000]);
    await scheduler.get('fast')?.remove();
    await slow.remove();
    expect(clock.pendingTimers).toBe(0);
  });
});
