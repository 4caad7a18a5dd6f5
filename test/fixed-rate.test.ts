import { describe, expect, it } from 'vitest';
import { offsets, setup, T0 } from './helpers.js';

describe('fixedRate', () => {
  it('first runs at the next epoch-aligned slot after add(), then every period', async () => {
    const { clock, scheduler } = setup();
    const starts: number[] = [];
    scheduler.add({ name: 'a', fixedRate: '1s', run: () => void starts.push(clock.now()) });
    await clock.advance(3_999);
    expect(offsets(starts)).toEqual([1_000, 2_000, 3_000]);
  });

  it('runs at once with runOnStart, and from the first slot at or after initialDelay then every period', async () => {
    const { clock, scheduler } = setup();
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    clock.blockFor(400); // add() at T0 + 400, between two slots
    scheduler.add({ name: 'a', fixedRate: '1s', runOnStart: true, run: (ctx) => void a.push(ctx.scheduledAt.getTime()) });
    scheduler.add({ name: 'b', fixedRate: '1s', initialDelay: '250ms', run: () => void b.push(clock.now()) });
    scheduler.add({ name: 'c', fixedRate: '1s', initialDelay: '700ms', run: () => void c.push(clock.now()) });
    await clock.advance(2_600);
    // runOnStart runs the current slot (T0, the latest at or before add()) at once.
    expect(offsets(a)).toEqual([0, 1_000, 2_000, 3_000]);
    expect(offsets(b)).toEqual([1_000, 2_000, 3_000]);
    expect(offsets(c)).toEqual([2_000, 3_000]);
  });

  it('puts the same tick on the same slot in every process, whenever each was started', async () => {
    const ids: string[][] = [[], []];
    for (const [replica, startOffset] of [[0, 1_347], [1, 1_812]] as const) {
      const { clock, scheduler } = setup();
      clock.blockFor(startOffset);
      scheduler.add({ name: 'sync', fixedRate: '1s', run: (ctx) => void ids[replica]!.push(ctx.tickId) });
      await clock.advance(3_000);
      await scheduler.stop();
    }
    expect(ids[0]).toEqual(['sync@2026-01-01T00:00:02.000Z', 'sync@2026-01-01T00:00:03.000Z', 'sync@2026-01-01T00:00:04.000Z']);
    expect(ids[1]).toEqual(ids[0]);
  });

  it('offsets its slots by phase', async () => {
    const { clock, scheduler } = setup();
    const scheduled: number[] = [];
    const job = scheduler.add({ name: 'a', fixedRate: '1m', phase: '15s', run: (ctx) => void scheduled.push(ctx.scheduledAt.getTime()) });
    expect(job.nextRuns(2).map((d) => d.getTime() - T0)).toEqual([15_000, 75_000]);
    await clock.advance(120_000);
    expect(offsets(scheduled)).toEqual([15_000, 75_000]);
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
  it('adds one tick right after add() and leaves the regular schedule as it was', async () => {
    const { clock, scheduler } = setup();
    clock.blockFor(100);
    const rate: number[] = [];
    const delayed: number[] = [];
    const delayedLater: number[] = [];
    const once: number[] = [];
    scheduler.add({ name: 'rate', fixedRate: '1s', initialDelay: '300ms', runOnStart: true, run: (c) => void rate.push(c.scheduledAt.getTime()) });
    scheduler.add({ name: 'delay', fixedDelay: '1s', runOnStart: true, run: (c) => void delayed.push(c.scheduledAt.getTime()) });
    // fixedDelay honours initialDelay after its start-up run, as fixedRate does.
    scheduler.add({ name: 'delay-later', fixedDelay: '1s', runOnStart: true, initialDelay: '1500ms', run: (c) => void delayedLater.push(c.scheduledAt.getTime()) });
    scheduler.add({ name: 'once', at: new Date(Date.parse('2026-01-01T00:00:02Z')), runOnStart: true, run: (c) => void once.push(c.scheduledAt.getTime()) });
    await clock.advance(2_500);
    // fixedRate's start-up tick is its current slot (T0); fixedDelay's and at's are the add time.
    expect(offsets(rate)).toEqual([0, 1_000, 2_000]);
    expect(offsets(delayed)).toEqual([100, 1_100, 2_100]);
    expect(offsets(delayedLater)).toEqual([100, 1_600, 2_600]);
    expect(offsets(once)).toEqual([100, 2_000]);
  });
});
