import { describe, expect, it } from 'vitest';
import { offsets, setup } from './helpers.js';

describe('fixedRate', () => {
  it('first runs one period after add(), then every period', async () => {
    const { clock, scheduler } = setup();
    const starts: number[] = [];
    scheduler.add({ name: 'a', fixedRate: '1s', run: () => void starts.push(clock.now()) });
    await clock.advance(3_999);
    expect(offsets(starts)).toEqual([1_000, 2_000, 3_000]);
  });

  it('runs at once with runOnStart, and after initialDelay then every period', async () => {
    const { clock, scheduler } = setup();
    const a: number[] = [];
    const b: number[] = [];
    scheduler.add({ name: 'a', fixedRate: '1s', runOnStart: true, run: () => void a.push(clock.now()) });
    scheduler.add({ name: 'b', fixedRate: '1s', initialDelay: '250ms', run: () => void b.push(clock.now()) });
    await clock.advance(2_500);
    expect(offsets(a)).toEqual([0, 1_000, 2_000]);
    expect(offsets(b)).toEqual([250, 1_250, 2_250]);
  });

  it('does not drift however long runs take: tick k is due at anchor + k·period', async () => {
    const { clock, scheduler } = setup();
    const scheduled: number[] = [];
    const started: number[] = [];
    scheduler.add({
      name: 'slow',
      fixedRate: 1_000,
      overlap: 'buffer-one',
      run: async (ctx) => {
        scheduled.push(ctx.scheduledAt.getTime());
        started.push(ctx.startedAt.getTime());
        await clock.sleep(700);
      },
    });
    await clock.advance(10_000);
    expect(offsets(scheduled)).toEqual([1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000, 9_000, 10_000]);
    expect(offsets(started)).toEqual(offsets(scheduled));
  });

  it('after a stall fires one tick, counts the rest as missed, and re-aligns', async () => {
    const { clock, scheduler, ticks } = setup();
    const scheduled: number[] = [];
    const job = scheduler.add({ name: 'a', fixedRate: '1s', run: (ctx) => void scheduled.push(ctx.scheduledAt.getTime()) });
    await clock.advance(1_000);
    clock.blockFor(3_500); // the event loop is blocked from 1000 to 4500
    await clock.flush();
    await clock.advanceTo(clock.now() + 1_000);
    // Ticks due at 2000 and 3000 were missed; the one due at 4000 fires late; 5000 is back on time.
    expect(offsets(scheduled)).toEqual([1_000, 4_000, 5_000]);
    const missed = ticks.filter((t) => t.result === 'missed');
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ count: 2, reason: 'stalled' });
    expect(job.inspect().counters).toMatchObject({ ticks: 5, started: 3, missed: 2 });
  });

  it('reports lateness as start time minus due time', async () => {
    const { clock, scheduler } = setup();
    const lateness: number[] = [];
    scheduler.on('run:start', (e) => lateness.push(e.latenessMs));
    scheduler.add({ name: 'a', fixedRate: '1s', run: () => {} });
    await clock.advance(1_000);
    clock.blockFor(300);
    await clock.advance(1_000);
    expect(lateness).toEqual([0, 0]);
    clock.blockFor(1_000); // from 2300 to 3300: the 3000 tick is 300 late, nothing missed
    await clock.flush();
    expect(lateness).toEqual([0, 0, 300]);
  });

  it('adds jitter to the start but keeps scheduledAt nominal', async () => {
    const { clock, scheduler } = setup();
    const runs: { scheduled: number; started: number }[] = [];
    scheduler.add({
      name: 'a',
      fixedRate: '1s',
      jitter: '200ms',
      run: (ctx) => void runs.push({ scheduled: ctx.scheduledAt.getTime(), started: ctx.startedAt.getTime() }),
    });
    await clock.advance(10_500);
    expect(runs).toHaveLength(10);
    runs.forEach((run, k) => {
      expect(run.scheduled).toBe(clock.date.getTime() - 10_500 + (k + 1) * 1_000);
      expect(run.started - run.scheduled).toBeGreaterThanOrEqual(0);
      expect(run.started - run.scheduled).toBeLessThan(200);
    });
  });

  it('stops after maxRuns and says it is done', async () => {
    const { clock, scheduler } = setup();
    const states: string[] = [];
    scheduler.on('job:state', (e) => states.push(`${e.from}->${e.to}:${e.reason}`));
    let runs = 0;
    const job = scheduler.add({ name: 'a', fixedRate: 100, maxRuns: 3, run: () => void runs++ });
    await clock.advance(1_000);
    expect(runs).toBe(3);
    expect(job.state).toBe('done');
    expect(job.inspect().nextRunAt).toBeNull();
    expect(states).toEqual(['null->active:added', 'active->done:max-runs']);
    expect(await job.trigger()).toEqual({ status: 'skipped', reason: 'done' });
  });
});

describe('runOnStart', () => {
  it('adds one tick at add time and leaves the regular schedule as it was', async () => {
    const { clock, scheduler } = setup();
    const rate: number[] = [];
    const delayed: number[] = [];
    const once: number[] = [];
    scheduler.add({ name: 'rate', fixedRate: '1s', initialDelay: '300ms', runOnStart: true, run: (c) => void rate.push(c.scheduledAt.getTime()) });
    scheduler.add({ name: 'delay', fixedDelay: '1s', runOnStart: true, run: (c) => void delayed.push(c.scheduledAt.getTime()) });
    scheduler.add({ name: 'once', at: new Date(Date.parse('2026-01-01T00:00:02Z')), runOnStart: true, run: (c) => void once.push(c.scheduledAt.getTime()) });
    await clock.advance(2_500);
    expect(offsets(rate)).toEqual([0, 300, 1_300, 2_300]);
    expect(offsets(delayed)).toEqual([0, 1_000, 2_000]);
    expect(offsets(once)).toEqual([0, 2_000]);
  });
});
