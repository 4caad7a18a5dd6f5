import { describe, expect, it } from 'vitest';
import { InvalidDurationError, InvalidOptionError } from '../src/index.js';
import { concurrency, offsets, setup } from './helpers.js';

describe('job.update()', () => {
  it('switches the period at the next tick, continuing from the last one', async () => {
    const { clock, scheduler } = setup();
    const scheduled: number[] = [];
    const job = scheduler.add({ name: 'a', fixedRate: '10s', run: (ctx) => void scheduled.push(ctx.scheduledAt.getTime()) });
    await clock.advance(12_000);
    job.update({ fixedRate: '5s' });
    expect(job.inspect().nextRunAt?.getTime()).toBe(clock.now() - 12_000 + 15_000);
    await clock.advance(10_000);
    expect(offsets(scheduled)).toEqual([10_000, 15_000, 20_000]);
  });

  it('a longer period never re-runs or skips past the present', async () => {
    const { clock, scheduler } = setup();
    const scheduled: number[] = [];
    const job = scheduler.add({ name: 'a', fixedRate: '1s', run: (ctx) => void scheduled.push(ctx.scheduledAt.getTime()) });
    await clock.advance(3_500);
    job.update({ fixedRate: '1h' });
    await clock.advance(3_600_000);
    // The new period's slots are epoch-aligned: the first one after the last tick, not before now.
    expect(offsets(scheduled)).toEqual([1_000, 2_000, 3_000, 3_600_000]);
  });

  it('changes schedule kind: fixedRate to cron and back', async () => {
    const { clock, scheduler } = setup();
    const scheduled: number[] = [];
    const job = scheduler.add({ name: 'a', fixedRate: '1s', run: (ctx) => void scheduled.push(ctx.scheduledAt.getTime()) });
    await clock.advance(1_500);
    job.update({ cron: '*/10 * * * * *', timezone: 'UTC' });
    expect(job.inspect().schedule.kind).toBe('cron');
    await clock.advance(20_000);
    expect(offsets(scheduled)).toEqual([1_000, 10_000, 20_000]);
    job.update({ fixedRate: '2s' });
    await clock.advance(4_000); // now 25_500
    expect(offsets(scheduled)).toEqual([1_000, 10_000, 20_000, 22_000, 24_000]);
  });

  it('applies timeout and concurrency from the next run on; the run in flight keeps its config', async () => {
    const { clock, scheduler, ends } = setup();
    const slots = concurrency();
    const job = scheduler.add({
      name: 'a',
      fixedRate: '1s',
      run: (ctx) => slots.track(() => clock.sleep(2_500, ctx.signal)),
    });
    await clock.advance(1_500);
    job.update({ maxConcurrency: 3, timeout: '1s' });
    await clock.advance(6_000);
    expect(slots.peak).toBe(3);
    const [first, ...later] = [...ends].sort((a, b) => a.tick - b.tick);
    expect(first).toMatchObject({ tick: 1, outcome: 'success', durationMs: 2_500 });
    expect(later.length).toBeGreaterThan(3);
    expect(later.every((e) => e.outcome === 'timeout' && e.durationMs === 1_000)).toBe(true);
  });

  it('an invalid update throws a typed error and keeps the old config', async () => {
    const { clock, scheduler } = setup();
    let runs = 0;
    const job = scheduler.add({ name: 'a', fixedRate: '1s', run: () => void runs++ });
    expect(() => job.update({ fixedRate: -5 })).toThrow(InvalidDurationError);
    expect(() => job.update({ maxConcurrency: 0 })).toThrow(InvalidOptionError);
    expect(() => job.update({ cron: 'nope' })).toThrow(/Invalid cron/);
    expect(() => job.update({ name: 'b' } as never)).toThrow(/renamed/);
    expect(() => job.update({ fixedRat: '2s' } as never)).toThrow(/did you mean `fixedRate`/);
    await clock.advance(3_000);
    expect(runs).toBe(3);
    expect(job.inspect().schedule.description).toBe('every 1s');
  });

  it('a smaller buffer drops the ticks beyond it', async () => {
    const { clock, scheduler } = setup();
    const job = scheduler.add({ name: 'a', fixedRate: '1s', overlap: 'buffer-all', run: () => clock.sleep(10_000) });
    await clock.advance(5_000);
    expect(job.inspect().buffered).toBe(4);
    job.update({ overlap: 'buffer-one' });
    expect(job.inspect().buffered).toBe(1);
    expect(job.inspect().counters.dropped).toBe(3);
  });
});

describe('update() of a job given only a name, a task and fixedRate', () => {
  it('keeps the period through updates of other options, and validates against it', async () => {
    const { clock, scheduler, at } = setup();
    const fired: number[] = [];
    const job = scheduler.add({ name: 'plain', fixedRate: '250ms', run: () => void fired.push(clock.now()) });
    // An invalid update is refused against the period, before and after a valid one.
    expect(() => job.update({ jitter: '300ms' })).toThrow(/below the period \(250 ms\)/);
    job.update({ maxRuns: 3, timeout: '1s' });
    expect(() => job.update({ jitter: '300ms' })).toThrow(/below the period \(250 ms\)/);
    await clock.advance(1_000);
    expect(fired).toEqual([at(250), at(500), at(750)]);
    expect(job.state).toBe('done');
    expect(job.inspect().schedule.description).toBe(scheduler.add({ name: 'twin', fixedRate: 250, run: () => {} }).inspect().schedule.description);
  });
});
