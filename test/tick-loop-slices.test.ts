/**
 * A pass of the tick loop holds the event loop for about SLICE_MS at most: a batch of runs due at
 * one instant that takes longer is fired in slices, other callbacks run in between, and every
 * run of the batch still starts once, in order, with the tick identity it was due with.
 */
import { describe, expect, it } from 'vitest';
import { createScheduler } from '../src/index.js';
import { SLICE_MS } from '../src/tick-loop.js';
import { setup } from './helpers.js';

describe('the tick loop slices long passes', () => {
  it('other timers run between the slices of a long batch; every run starts once, in order', async () => {
    const { clock, scheduler, at } = setup();
    const started: string[] = [];
    const scheduledAt = new Set<number>();
    let othersRanAfter: number | undefined;
    const jobs = 300;
    for (let index = 0; index < jobs; index++) {
      scheduler.add({
        name: `job-${String(index).padStart(3, '0')}`, fixedRate: '1h',
        run: (ctx) => {
          if (started.length === 0) clock.setTimer(() => { othersRanAfter ??= started.length; }, 0);
          started.push(ctx.jobName);
          scheduledAt.add(ctx.scheduledAt.getTime());
          clock.blockFor(0.5); // each run holds the loop for half a millisecond
        },
      });
    }
    await clock.advanceTo(at(3_600_000));
    // Each slice ends with a zero-delay timer for the rest on this clock; flush() runs what is due.
    for (let slice = 0; slice < 10 && started.length < jobs; slice++) await clock.flush();
    expect(started).toHaveLength(jobs);
    expect(started).toEqual([...started].sort());
    expect([...scheduledAt]).toEqual([at(3_600_000)]);
    // The first slice ends at the first check (every 64 runs) after SLICE_MS went by.
    expect(othersRanAfter).toBeDefined();
    expect(othersRanAfter!).toBeLessThan(jobs);
    expect(othersRanAfter! * 0.5).toBeGreaterThanOrEqual(SLICE_MS);
    expect(scheduler.inspect().jobs.every((job) => job.counters.started === 1 && job.counters.missed === 0 && job.counters.skipped === 0)).toBe(true);
    await scheduler.stop();
  });

  it('a short batch is one pass: a timer armed by its first run fires after all of it', async () => {
    const { clock, scheduler, at } = setup();
    let started = 0;
    let othersRanAfter: number | undefined;
    for (let index = 0; index < 300; index++) {
      scheduler.add({
        name: `job-${index}`, fixedRate: '1h',
        run: () => {
          if (started === 0) clock.setTimer(() => { othersRanAfter ??= started; }, 0);
          started += 1;
        },
      });
    }
    await clock.advanceTo(at(3_600_000));
    await clock.flush();
    expect(othersRanAfter).toBe(300);
    await scheduler.stop();
  });

  it('stop() between slices: no run of the rest of the batch starts, nothing is left armed', async () => {
    const { clock, scheduler, at } = setup();
    let started = 0;
    for (let index = 0; index < 300; index++) {
      scheduler.add({ name: `job-${index}`, fixedRate: '1h', run: () => { started += 1; clock.blockFor(0.5); } });
    }
    await clock.advanceTo(at(3_600_000));
    const firstSlice = started;
    expect(firstSlice).toBeLessThan(300);
    const report = await scheduler.stop();
    for (let slice = 0; slice < 10; slice++) await clock.flush();
    expect(started).toBe(firstSlice);
    expect(report.clean).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('on the system clock the rest of a sliced batch runs after pending immediates, on the same tick', async () => {
    const scheduler = createScheduler();
    const jobs = 3_000;
    let started = 0;
    let immediateAfter: number | undefined;
    const dueAt = new Set<number>();
    let resolveAll: () => void = () => {};
    const all = new Promise<void>((resolve) => { resolveAll = resolve; });
    for (let index = 0; index < jobs; index++) {
      scheduler.add({
        name: `job-${index}`, fixedRate: 200,
        run: (ctx) => {
          if (started === 0) setImmediate(() => { immediateAfter = started; });
          started += 1;
          dueAt.add(ctx.scheduledAt.getTime());
          const until = performance.now() + 0.02; // 3k × 20 µs: a 60 ms batch
          while (performance.now() < until) { /* busy: the batch is long */ }
          if (started === jobs) resolveAll();
        },
      });
    }
    await all;
    await scheduler.stop();
    expect(dueAt.size).toBe(1);
    expect(immediateAfter).toBeDefined();
    expect(immediateAfter!).toBeLessThan(jobs);
  });
});
