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

describe('jobs sharing due instants', () => {
  it('fires jobs due at the same instant in the order they were added, also after one leaves the middle', async () => {
    const { clock, scheduler } = setup();
    const order: string[] = [];
    const jobs = ['a', 'b', 'c', 'd', 'e'].map((name) => scheduler.add({ name, fixedRate: 1_000, run: () => void order.push(name) }));
    await clock.advance(1_000);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    order.length = 0;
    await jobs[2]!.remove();
    // A job re-added joins the end of its instant; an update re-arms the job behind the others.
    scheduler.add({ name: 'c2', fixedRate: 1_000, run: () => void order.push('c2') });
    jobs[0]!.update({ fixedRate: 1_000 });
    await clock.advance(1_000);
    expect(order).toEqual(['b', 'd', 'e', 'c2', 'a']);
  });

  it('interleaves instants of different periods by due time, each batch firing once', async () => {
    const { clock, scheduler } = setup();
    const fired: string[] = [];
    for (const [name, period] of [['p300', 300], ['p200', 200], ['p300b', 300], ['p500', 500]] as const) {
      scheduler.add({ name, fixedRate: period, run: () => void fired.push(`${clock.now() - T0}:${name}`) });
    }
    await clock.advance(600);
    expect(fired).toEqual(['200:p200', '300:p300', '300:p300b', '400:p200', '500:p500', '600:p300', '600:p300b', '600:p200']);
  });

  it('keeps every job of a 10k-job instant on time and in order, and holds one timer', async () => {
    const { clock, scheduler } = setup();
    const seen: number[] = [];
    for (let i = 0; i < 10_000; i += 1) scheduler.add({ name: `job-${i}`, fixedRate: 1_000, run: () => void seen.push(i) });
    for (let second = 1; second <= 3; second += 1) {
      await clock.advance(1_000);
      expect(seen).toHaveLength(10_000 * second);
      expect(clock.pendingTimers).toBe(1);
    }
    const thirdTick = seen.slice(20_000);
    expect(thirdTick.every((job, index) => job === index)).toBe(true);
    const stats = scheduler.stats();
    expect(stats.jobs.every((job) => job.counters.started === 3 && job.counters.ticks === 3)).toBe(true);
  });

  it('takes a paused or removed job out of a shared instant without disturbing the rest', async () => {
    const { clock, scheduler } = setup();
    const fired: string[] = [];
    const jobs = ['x', 'y', 'z'].map((name) => scheduler.add({ name, fixedRate: 100, run: () => void fired.push(name) }));
    jobs[1]!.pause();
    await clock.advance(100);
    expect(fired).toEqual(['x', 'z']);
    await jobs[0]!.remove();
    await jobs[2]!.remove();
    await jobs[1]!.remove();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(1_000);
    expect(fired).toEqual(['x', 'z']);
  });
});
