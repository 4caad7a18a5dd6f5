/**
 * A pass of the tick loop holds the event loop for about SLICE_MS at most: a batch of runs due at
 * one instant that takes longer is fired in slices, other callbacks run in between, and every
 * run of the batch still starts once, in order, with the tick identity it was due with.
 */
import { describe, expect, it } from 'vitest';
import { createScheduler } from '../src/index.js';
import { SLICE_MS } from '../src/tick-loop.js';
import { setup } from './helpers.js';

/**
 * Schedule options that put every job added within the next 500 ms on one due instant, whatever
 * the wall clock reads while they are added (a 200 ms fixedRate split a slow add across two slots).
 */
function oneInstantSoon(): { fixedRate: number; phase: number; dueAt: number } {
  const hour = 3_600_000;
  const dueAt = Date.now() + 500;
  return { fixedRate: hour, phase: dueAt % hour, dueAt };
}

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
    const { dueAt: instant, ...schedule } = oneInstantSoon();
    let started = 0;
    let immediateAfter: number | undefined;
    const dueAt = new Set<number>();
    let resolveAll: () => void = () => {};
    const all = new Promise<void>((resolve) => { resolveAll = resolve; });
    for (let index = 0; index < jobs; index++) {
      scheduler.add({
        name: `job-${index}`, ...schedule,
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
    expect(Date.now()).toBeLessThan(instant);
    await all;
    await scheduler.stop();
    expect([...dueAt]).toEqual([instant]);
    expect(immediateAfter).toBeDefined();
    expect(immediateAfter!).toBeLessThan(jobs);
  });

  it.each([false, true])('on the system clock, stop() between slices cancels the continuation (unref: %s respected while it waits)', async (unref) => {
    const scheduler = createScheduler({ unref });
    const jobs = 3_000;
    const { dueAt: instant, ...schedule } = oneInstantSoon();
    let started = 0;
    const immediates = (): number => process.getActiveResourcesInfo().filter((type) => type === 'Immediate').length;
    let between: { pending: number; startedThen: number; afterStop: number } | undefined;
    let stopped: Promise<unknown> | undefined;
    let resolveStopped: () => void = () => {};
    const done = new Promise<void>((resolve) => { resolveStopped = resolve; });
    for (let index = 0; index < jobs; index++) {
      scheduler.add({
        name: `job-${index}`, ...schedule,
        run: () => {
          if (started === 0) {
            setImmediate(() => {
              // Queued before the continuation: it runs between the first slice and the rest.
              const pending = immediates();
              stopped = scheduler.stop();
              between = { pending, startedThen: started, afterStop: immediates() };
              void stopped.then(() => resolveStopped());
            });
          }
          started += 1;
          const until = performance.now() + 0.02; // 3k × 20 µs: a 60 ms batch
          while (performance.now() < until) { /* busy: the batch is long */ }
        },
      });
    }
    expect(Date.now()).toBeLessThan(instant);
    await done;
    expect(between).toBeDefined();
    expect(between!.startedThen).toBeLessThan(jobs);
    // The continuation is the one immediate pending then, and keeps the process alive unless unref.
    expect(between!.pending).toBe(unref ? 0 : 1);
    // stop() with nothing in flight closes the loop at once: the continuation is cancelled, not left to fire.
    expect(between!.afterStop).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(started).toBe(between!.startedThen);
    expect(immediates()).toBe(0);
    expect(scheduler.state).toBe('stopped');
  });
});
